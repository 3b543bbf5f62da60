import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { AdminRoute, Permission } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { AuditorTokensService, OrgParam, type AuditorToken, type Org } from '../orgs/index.js';

export class CreateAuditorTokenDto {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

const auditorTokenView = (t: AuditorToken) => ({
  id: t.id,
  description: t.description,
  prefix: t.tokenPrefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

const uuid = new ParseUUIDPipe({ version: '4' });

/** Admin management of org auditor tokens (read access to the org's key-transparency log). */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org/auditor-tokens')
@AdminRoute('org:read')
export class AuditorTokensController {
  constructor(private readonly tokens: AuditorTokensService) {}

  /** The token is in this response only; afterwards only its prefix is shown. */
  @Post()
  @Permission('org:configure')
  async create(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: CreateAuditorTokenDto) {
    const { row, token } = await this.tokens.create(p.actor, org, body.description ?? '');
    return { ...auditorTokenView(row), token };
  }

  @Get()
  async list(@OrgParam() org: Org) {
    return { auditorTokens: (await this.tokens.list(org)).map(auditorTokenView) };
  }

  @Delete(':id')
  @Permission('org:configure')
  async revoke(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    return auditorTokenView(await this.tokens.revoke(p.actor, org, id));
  }
}
