import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { CredentialsService } from '../orgs/credentials.service.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { auditEventView, dsClientView, idpConnectionView, orgView, scimTokenView } from './admin-views.js';
import { AuditService } from '../audit/audit.service.js';
import { AuditQueryDto } from './dto/audit-query.dto.js';
import { CreateDsClientDto, CreateIdpConnectionDto, CreateOrgDto, CreateScimTokenDto, UpdateSettingsDto } from './dto/admin.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin')
@Controller('v1/admin/orgs')
@Authenticated('admin')
export class AdminController {
  constructor(
    private readonly orgs: OrgsService,
    private readonly credentials: CredentialsService,
    private readonly audit: AuditService,
  ) {}

  @Post()
  async createOrg(@CurrentPrincipal() p: Principal, @Body() body: CreateOrgDto) {
    return orgView(await this.orgs.create(p.actor, body.slug, body.name));
  }

  @Get()
  async listOrgs() {
    return { orgs: (await this.orgs.list()).map(orgView) };
  }

  @Get(':org')
  async getOrg(@Param('org') org: string) {
    return orgView(await this.orgs.requireBySlug(org));
  }

  /** Partial update of org policy, e.g. {"certificates": {"lifetimeDays": 3}}. */
  @Patch(':org/settings')
  async updateSettings(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: UpdateSettingsDto) {
    return orgView(await this.orgs.updateSettings(p.actor, org, body.settings));
  }

  @Post(':org/idp-connections')
  async addIdp(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: CreateIdpConnectionDto) {
    return idpConnectionView(await this.orgs.addIdpConnection(p.actor, org, body));
  }

  @Get(':org/idp-connections')
  async listIdps(@Param('org') org: string) {
    return { idpConnections: (await this.orgs.listIdpConnections(org)).map(idpConnectionView) };
  }

  @Get(':org/idp-connections/:id')
  async getIdp(@Param('org') org: string, @Param('id', uuid) id: string) {
    return idpConnectionView(await this.orgs.getIdpConnection(org, id));
  }

  @Delete(':org/idp-connections/:id')
  @HttpCode(204)
  async removeIdp(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string) {
    await this.orgs.removeIdpConnection(p.actor, org, id);
  }

  /** The token is in this response only; afterwards only its prefix is shown. */
  @Post(':org/scim-tokens')
  async createScimToken(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: CreateScimTokenDto) {
    const { row, token } = await this.credentials.createScimToken(p.actor, org, body.description ?? '');
    return { ...scimTokenView(row), token };
  }

  @Get(':org/scim-tokens')
  async listScimTokens(@Param('org') org: string) {
    return { scimTokens: (await this.credentials.listScimTokens(org)).map(scimTokenView) };
  }

  @Delete(':org/scim-tokens/:id')
  async revokeScimToken(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string) {
    return scimTokenView(await this.credentials.revokeScimToken(p.actor, org, id));
  }

  /** The bearer token and the webhook signing secret are in this response only. */
  @Post(':org/ds-clients')
  async createDsClient(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: CreateDsClientDto) {
    const { row, token, webhookSecret } = await this.credentials.createDsClient(p.actor, org, body.name, body.webhookUrl ?? null);
    return { ...dsClientView(row), token, webhookSecret };
  }

  @Get(':org/ds-clients')
  async listDsClients(@Param('org') org: string) {
    return { dsClients: (await this.credentials.listDsClients(org)).map(dsClientView) };
  }

  @Delete(':org/ds-clients/:id')
  async revokeDsClient(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string) {
    return dsClientView(await this.credentials.revokeDsClient(p.actor, org, id));
  }

  @Get(':org/audit-events')
  async auditEvents(@Param('org') org: string, @Query() query: AuditQueryDto) {
    const o = await this.orgs.requireBySlug(org);
    const events = await this.audit.list(o.id, query.after, query.limit ?? 100);
    return { auditEvents: events.map(auditEventView), next: events.at(-1)?.id ?? null };
  }
}
