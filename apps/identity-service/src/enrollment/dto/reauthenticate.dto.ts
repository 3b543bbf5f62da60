import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { ReauthenticationRequest } from '#protocol';

export class ReauthenticateDto implements ReauthenticationRequest {
  @ApiProperty({ description: 'ID token whose nonce is reauthenticationNonce(device key SPKI, jti of the MLS-Device signature)' })
  @IsString()
  @MaxLength(16 * 1024)
  idToken: string;

  @ApiPropertyOptional({ description: 'name or id of the IdP connection, when the org has several' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  idpConnection?: string;
}
