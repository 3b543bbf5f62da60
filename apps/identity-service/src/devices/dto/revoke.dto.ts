import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { CRL_REASON, type RevocationReason } from '../../certificates/index.js';

export class RevokeDto {
  @ApiPropertyOptional({ enum: Object.keys(CRL_REASON), default: 'keyCompromise' })
  @IsOptional()
  @IsIn(Object.keys(CRL_REASON))
  reason?: RevocationReason;
}
