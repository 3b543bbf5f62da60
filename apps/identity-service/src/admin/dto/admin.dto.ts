import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../../removals/index.js';

export class CreateOrgDto {
  @ApiProperty({ example: 'acme', description: 'lower-case letters, digits and dashes; used in URLs and certificates' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'slug must be 2-63 lower-case letters, digits or dashes' })
  slug: string;

  @ApiProperty({ example: 'Acme Corp' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class CreateIdpConnectionDto {
  @ApiProperty({ example: 'okta-main' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
  name: string;

  @ApiProperty({ enum: ['okta', 'entra', 'oidc'] })
  @IsIn(['okta', 'entra', 'oidc'])
  kind: 'okta' | 'entra' | 'oidc';

  @ApiProperty({ example: 'https://acme.okta.com' })
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(500)
  issuer: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  clientId: string;

  @ApiPropertyOptional({ description: 'stored sealed; never returned' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  clientSecret?: string;

  @ApiPropertyOptional({ description: 'claim names for the generic OIDC kind, e.g. {"email":"mail"}' })
  @IsOptional()
  @IsObject()
  claimMapping?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Entra tenant ids (tid) allowed to enroll' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowedTenants?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  requireMfa?: boolean;

  @ApiPropertyOptional({
    description:
      'let a first enrollment bind an unbound account by the verified email or UPN (email_verified, Entra xms_edov); off: only the subject or SCIM externalId binds',
  })
  @IsOptional()
  @IsBoolean()
  matchByVerifiedEmail?: boolean;

  @ApiPropertyOptional({ description: 'client ids of native apps whose ID tokens may enroll devices' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  nativeClientIds?: string[];
}

export class CreateScimTokenDto {
  @ApiPropertyOptional({ example: 'Okta provisioning' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class CreateDsClientDto {
  @ApiProperty({ example: 'chat-eu-1' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({ example: 'https://chat.example.com/hooks/mls-identity' })
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['https', 'http'], require_protocol: true })
  @MaxLength(2000)
  webhookUrl?: string;

  @ApiPropertyOptional({
    enum: WEBHOOK_EVENT_TYPES,
    isArray: true,
    example: ['removals.proposed', 'device.revoked'],
    description: 'webhook event types to receive; omitted: removals.proposed only',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  webhookEvents?: string[];
}

export class UpdateWebhookEventsDto {
  @ApiProperty({
    enum: WEBHOOK_EVENT_TYPES,
    isArray: true,
    nullable: true,
    example: ['removals.proposed', 'certificate.revoked'],
    description: 'webhook event types to receive; null: back to the default (removals.proposed)',
  })
  @ValidateIf((o: UpdateWebhookEventsDto) => o.webhookEvents !== null)
  @IsArray()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  webhookEvents: string[] | null;
}

export class UpdateSettingsDto {
  @ApiProperty({ example: { certificates: { lifetimeDays: 3 } }, description: 'partial org settings, validated per key' })
  @IsObject()
  settings: Record<string, unknown>;
}
