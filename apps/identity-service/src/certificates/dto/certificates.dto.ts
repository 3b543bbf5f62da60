import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CRL_REASON, type RevocationReason } from '../revocation-reason.js';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const MAX_STATUS_QUERIES = 1000;

export class CertificateStatusDto {
  @ApiPropertyOptional({
    description: 'chains to check, each leaf first, each certificate base64 DER or PEM',
    type: 'array',
    items: { type: 'array', items: { type: 'string' } },
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_STATUS_QUERIES)
  chains?: string[][];

  @ApiPropertyOptional({ description: 'hex SHA-256 fingerprints of leaf certificates', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_STATUS_QUERIES)
  @Matches(/^[0-9a-fA-F]{64}$/, { each: true, message: 'each fingerprint must be 64 hex characters' })
  fingerprints?: string[];
}

export class RotateCaDto {
  @ApiProperty({ enum: ['intermediate', 'root'] })
  @IsIn(['intermediate', 'root'])
  level: 'intermediate' | 'root';
}

export class RevokeCaDto {
  @ApiPropertyOptional({ enum: Object.keys(CRL_REASON), default: 'keyCompromise' })
  @IsOptional()
  @IsIn(Object.keys(CRL_REASON))
  reason?: RevocationReason;
}

export class ChainShapeDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(4)
  @IsString({ each: true })
  @MaxLength(16384, { each: true })
  certificates: string[];
}
