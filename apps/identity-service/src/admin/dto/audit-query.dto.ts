import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsOptional, Length, Matches, Max, Min } from 'class-validator';

/** Filters shared by the audit list and its export. */
export class AuditFilterDto {
  @ApiPropertyOptional({ description: 'exact actor, e.g. admin:alice@example.com or scim-token:{id}' })
  @IsOptional()
  @Length(1, 512)
  actor?: string;

  @ApiPropertyOptional({ description: 'exact action (device.revoke) or a family (device.*)' })
  @IsOptional()
  @Matches(/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$/)
  @Length(1, 128)
  action?: string;

  @ApiPropertyOptional({ description: 'target `{type}:{id}`, or `{type}` for every target of that type' })
  @IsOptional()
  @Length(1, 512)
  target?: string;

  @ApiPropertyOptional({ description: 'entries at or after this time (ISO 8601)' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'entries before this time (ISO 8601)' })
  @IsOptional()
  @IsDateString({ strict: true })
  until?: string;
}

export class AuditQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ description: 'opaque cursor: `cursor` of the previous page' })
  @IsOptional()
  @Length(1, 64)
  cursor?: string;

  @ApiPropertyOptional({ description: 'legacy: `next` of the previous page (an opaque cursor), or an event id' })
  @IsOptional()
  @Matches(/^(\d{1,18}|[A-Za-z0-9_-]{1,64})$/)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
