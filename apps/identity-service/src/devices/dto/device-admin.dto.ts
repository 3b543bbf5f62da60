import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export const DEVICE_STATUSES = ['active', 'revoked', 'expired'] as const;
export const MAX_PAGE_SIZE = 1000;

/** Printable text without control characters (names show up in consoles, logs and CSV exports). */
export const DISPLAY_TEXT = /^[^\p{Cc}\p{Cf}]+$/u;

export class DeviceSearchQuery {
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

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'the `next` of the previous page, with the same filters' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  cursor?: string;
}

export class RenameDeviceDto {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(DISPLAY_TEXT, { message: 'name must be printable text without control characters' })
  name: string;
}
