import { PageQuery } from '../../common/paging/index.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ACCOUNT_SEARCH_FIELDS, ACCOUNT_STATUSES } from '../../accounts/index.js';
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS } from '../../orgs/index.js';

export class AccountSearchQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'search text, case-insensitive (a prefix unless match=substring)', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ enum: ACCOUNT_SEARCH_FIELDS, default: 'any', description: 'which field q matches (any: userName, email or name)' })
  @IsOptional()
  @IsIn(ACCOUNT_SEARCH_FIELDS)
  field?: (typeof ACCOUNT_SEARCH_FIELDS)[number];

  @ApiPropertyOptional({ enum: ['prefix', 'substring'], default: 'prefix', description: 'prefix is indexed; substring scans the org' })
  @IsOptional()
  @IsIn(['prefix', 'substring'])
  match?: 'prefix' | 'substring';

  @ApiPropertyOptional({ enum: ACCOUNT_STATUSES, description: 'suspended: by an admin; inactive: deprovisioned by the IdP' })
  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: (typeof ACCOUNT_STATUSES)[number];
}

export class UpdateIdpConnectionDto {
  @ApiPropertyOptional({ example: 'okta-main' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'stored sealed, never returned; null removes it (public client)' })
  @IsOptional()
  @ValidateIf((o: UpdateIdpConnectionDto) => o.clientSecret !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  clientSecret?: string | null;

  @ApiPropertyOptional({ description: 'claim names for the generic OIDC kind, e.g. {"email":"mail"}' })
  @IsOptional()
  @IsObject()
  claimMapping?: Record<string, string>;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  requireMfa?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  matchByVerifiedEmail?: boolean;

  @ApiPropertyOptional({ description: 'Entra tenant ids (tid) allowed to enroll' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  allowedTenants?: string[];

  @ApiPropertyOptional({ description: 'client ids of native apps whose ID tokens may enroll devices' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  nativeClientIds?: string[];
}

export class UpdateDsClientDto {
  @ApiPropertyOptional({ example: 'chat-eu-1' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ nullable: true, example: 'https://chat.example.com/hooks/mls-identity', description: 'null: no webhooks' })
  @IsOptional()
  @ValidateIf((o: UpdateDsClientDto) => o.webhookUrl !== null)
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  webhookUrl?: string | null;
}

export class RotateScimTokenDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_OVERLAP_SECONDS,
    default: DEFAULT_OVERLAP_SECONDS,
    description: 'how long the replaced secret keeps working (0: not at all)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

export class RotateDsClientDto extends RotateScimTokenDto {
  @ApiPropertyOptional({ default: true, description: 'mint a new bearer token' })
  @IsOptional()
  @IsBoolean()
  token?: boolean;

  @ApiPropertyOptional({ default: true, description: 'mint a new webhook signing secret' })
  @IsOptional()
  @IsBoolean()
  webhookSecret?: boolean;
}

export class ReportDaysQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 366, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days?: number;
}

export class ExpiryHorizonQuery extends ReportDaysQuery {
  @ApiPropertyOptional({ enum: ['day', 'week'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'week'])
  bucket?: 'day' | 'week';
}
