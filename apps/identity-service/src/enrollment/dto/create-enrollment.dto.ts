import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { EnrollmentRequest } from '#protocol';

/** Validation of the #protocol wire type the SDK sends. */
export class CreateEnrollmentDto implements EnrollmentRequest {
  @ApiProperty({ description: 'PKCS#10 CSR of the MLS signature key, PEM or base64 DER' })
  @IsString()
  @MinLength(32)
  @MaxLength(12 * 1024)
  csr: string;

  @ApiProperty({ example: "Alice's phone" })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  deviceName: string;

  @ApiProperty({ example: 'ios' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,31}$/)
  platform: string;

  @ApiProperty({ description: 'RFC 9420 cipher suite', example: 1 })
  @IsInt()
  @Min(1)
  @Max(0xffff)
  ciphersuite: number;

  @ApiPropertyOptional({ description: 'native flow: an ID token whose nonce is base64url(SHA-256(CSR SubjectPublicKeyInfo))' })
  @IsOptional()
  @IsString()
  @MaxLength(16 * 1024)
  idToken?: string;

  @ApiPropertyOptional({ enum: ['redirect', 'device'], description: 'without idToken: which sign-in flow the service runs' })
  @IsOptional()
  @IsIn(['redirect', 'device'])
  flow?: 'redirect' | 'device';

  @ApiPropertyOptional({ description: 'name or id of the IdP connection, when the org has several' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  idpConnection?: string;
}
