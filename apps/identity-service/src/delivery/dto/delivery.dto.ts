import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';

export const MAX_COMMIT_BYTES = 1024 * 1024;
export const MAX_PROPOSAL_BYTES = 64 * 1024;
export const MAX_KEY_PACKAGE_BYTES = 64 * 1024;
export const MAX_CREDENTIAL_BYTES = 64 * 1024;
const b64 = (bytes: number) => Math.ceil(bytes / 3) * 4;

export class CommitAuthorizationDto {
  @ApiProperty({ description: 'the commit as an MLSMessage (PublicMessage), base64' })
  @IsString()
  @MaxLength(b64(MAX_COMMIT_BYTES))
  commit: string;

  @ApiPropertyOptional({
    description: 'proposal MLSMessages of this epoch the commit may reference, base64 (the service adds its own)',
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(b64(MAX_PROPOSAL_BYTES), { each: true })
  proposals?: string[];
}

export class CredentialValidationDto {
  @ApiPropertyOptional({ description: 'RFC 9420 §5.3 Credential (x509) bytes, base64' })
  @IsOptional()
  @IsString()
  @MaxLength(b64(MAX_CREDENTIAL_BYTES))
  credential?: string;

  @ApiPropertyOptional({ description: 'or the chain, leaf first, each certificate base64 DER', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MaxLength(b64(16 * 1024), { each: true })
  chain?: string[];

  @ApiPropertyOptional({ description: 'the MLS signature key the credential is used with (checks RFC 9420 §5.3.1), base64' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  signatureKey?: string;
}

export class KeyPackageValidationDto {
  @ApiProperty({ description: 'KeyPackage MLSMessage (wire format mls_key_package), base64' })
  @IsString()
  @MaxLength(b64(MAX_KEY_PACKAGE_BYTES))
  keyPackage: string;
}
