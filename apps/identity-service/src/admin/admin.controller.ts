import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OrgCaService } from '../certificates/index.js';
import { AdminRoute, CurrentPrincipal, Permission, type Principal } from '../common/access/index.js';
import { CredentialsService, effectiveSettings, OrgParam, OrgsService, type Org } from '../orgs/index.js';
import { dsClientView, idpConnectionView, orgView, scimTokenView } from './admin-views.js';
import {
  CreateDsClientDto,
  CreateIdpConnectionDto,
  CreateOrgDto,
  CreateScimTokenDto,
  UpdateSettingsDto,
  UpdateWebhookEventsDto,
} from './dto/admin.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('admin')
@Controller('v1/admin/orgs')
@AdminRoute('org:read')
export class AdminController {
  constructor(
    private readonly orgs: OrgsService,
    private readonly credentials: CredentialsService,
    private readonly cas: OrgCaService,
  ) {}

  @Post()
  @Permission('platform:orgs')
  async createOrg(@CurrentPrincipal() p: Principal, @Body() body: CreateOrgDto) {
    return orgView(await this.orgs.create(p.actor, body.slug, body.name));
  }

  @Get()
  @Permission('platform:orgs')
  async listOrgs() {
    return { orgs: (await this.orgs.list()).map(orgView) };
  }

  @Get(':org')
  getOrg(@OrgParam() org: Org) {
    return orgView(org);
  }

  /**
   * Partial update of org policy, e.g. {"certificates": {"lifetimeDays": 3}}. A change of the
   * verified email domains rotates the intermediate, so the name constraints of the CA that
   * signs from now on say what the policy says (certificates of the retired one stay valid).
   */
  @Patch(':org/settings')
  @Permission('org:configure')
  async updateSettings(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: UpdateSettingsDto) {
    const before = effectiveSettings(org.settings).certificates.verifiedEmailDomains;
    const saved = await this.orgs.updateSettings(p.actor, org, body.settings);
    const after = effectiveSettings(saved.settings).certificates.verifiedEmailDomains;
    if ([...before].sort().join(' ') !== [...after].sort().join(' ')) await this.cas.rotate(p.actor, saved, 'intermediate');
    return orgView(saved);
  }

  @Post(':org/idp-connections')
  @Permission('org:configure')
  async addIdp(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: CreateIdpConnectionDto) {
    return idpConnectionView(await this.orgs.addIdpConnection(p.actor, org, body));
  }

  @Get(':org/idp-connections')
  async listIdps(@OrgParam() org: Org) {
    return { idpConnections: (await this.orgs.listIdpConnections(org.id)).map(idpConnectionView) };
  }

  @Get(':org/idp-connections/:id')
  async getIdp(@OrgParam() org: Org, @Param('id', uuid) id: string) {
    return idpConnectionView(await this.orgs.getIdpConnection(org, id));
  }

  @Delete(':org/idp-connections/:id')
  @Permission('org:configure')
  @HttpCode(204)
  async removeIdp(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    await this.orgs.removeIdpConnection(p.actor, org, id);
  }

  /** The token is in this response only; afterwards only its prefix is shown. */
  @Post(':org/scim-tokens')
  @Permission('org:configure')
  async createScimToken(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: CreateScimTokenDto) {
    const { row, token } = await this.credentials.createScimToken(p.actor, org, body.description ?? '');
    return { ...scimTokenView(row), token };
  }

  @Get(':org/scim-tokens')
  async listScimTokens(@OrgParam() org: Org) {
    return { scimTokens: (await this.credentials.listScimTokens(org.id)).map(scimTokenView) };
  }

  @Delete(':org/scim-tokens/:id')
  @Permission('org:configure')
  async revokeScimToken(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    return scimTokenView(await this.credentials.revokeScimToken(p.actor, org, id));
  }

  /** The bearer token and the webhook signing secret are in this response only. */
  @Post(':org/ds-clients')
  @Permission('org:configure')
  async createDsClient(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: CreateDsClientDto) {
    const { row, token, webhookSecret } = await this.credentials.createDsClient(
      p.actor,
      org,
      body.name,
      body.webhookUrl ?? null,
      body.webhookEvents ?? null,
    );
    return { ...dsClientView(row), token, webhookSecret };
  }

  /** Which webhook events the client receives (lifecycle events beside removals.proposed). */
  @Patch(':org/ds-clients/:id/webhook-events')
  @Permission('org:configure')
  async setWebhookEvents(
    @CurrentPrincipal() p: Principal,
    @OrgParam() org: Org,
    @Param('id', uuid) id: string,
    @Body() body: UpdateWebhookEventsDto,
  ) {
    return dsClientView(await this.credentials.setWebhookEvents(p.actor, org, id, body.webhookEvents));
  }

  @Get(':org/ds-clients')
  async listDsClients(@OrgParam() org: Org) {
    return { dsClients: (await this.credentials.listDsClients(org.id)).map(dsClientView) };
  }

  @Delete(':org/ds-clients/:id')
  @Permission('org:configure')
  async revokeDsClient(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    return dsClientView(await this.credentials.revokeDsClient(p.actor, org, id));
  }
}
