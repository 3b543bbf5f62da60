import { PageQuery } from '../../common/paging/index.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const DEVICE_STATUSES = ['active', 'revoked', 'expired'] as const;

/** Printable text without control characters (names show up in consoles, logs and CSV exports). */
export const DISPLAY_TEXT = /^[^\p{Cc}\p{Cf}]+$/u;

export class DeviceSearchQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DEVICE_STATUSES })
  @IsOptional()
  @IsIn(DEVICE_STATUSES)
  status?: (typeof DEVICE_STATUSES)[number];

  @ApiPropertyOptional({ description: 'exact platform, case-insensitive (ios, android, macos, ...)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  platform?: string;

  @ApiPropertyOptional({ description: "one account's devices (UUID)" })
  @IsOptional()
  @IsString()
  accountId?: string;

  @ApiPropertyOptional({ description: 'case-insensitive prefix of the device name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export class RenameDeviceDto {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(DISPLAY_TEXT, { message: 'name must be printable text without control characters' })
  name: string;
}
