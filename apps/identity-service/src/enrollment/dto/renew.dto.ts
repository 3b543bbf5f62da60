import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import type { RenewalRequest } from '#protocol';

export class RenewDto implements RenewalRequest {
  @ApiProperty({ description: 'PKCS#10 CSR (PEM or base64 DER) for the current or a new MLS signature key' })
  @IsString()
  @MaxLength(16384)
  csr: string;
}
