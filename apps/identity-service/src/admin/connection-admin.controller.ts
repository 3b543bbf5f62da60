import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { ConnectionAdminService, DEFAULT_OVERLAP_SECONDS, OrgParam, type Org } from '../orgs/index.js';
import { dsClientView, idpConnectionView, scimTokenView } from './admin-views.js';
import { RotateDsClientDto, RotateScimTokenDto, UpdateDsClientDto, UpdateIdpConnectionDto } from './dto/management.dto.js';

const uuid = new ParseUUIDPipe({ version: '4' });

/** Change an org's connections in place and rotate their secrets without an outage. */
@ApiTags('admin: connections')
@Controller('v1/admin/orgs/:org')
@AdminRoute('org:configure')
export class ConnectionAdminController {
  constructor(private readonly connections: ConnectionAdminService) {}

  /** Same id, so enrollments in flight finish with the connection they started on. */
  @Patch('idp-connections/:id')
  @ApiOperation({ summary: 'Update an IdP connection in place (client secret, claim map, MFA flag, name, ...)' })
  async updateIdp(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: UpdateIdpConnectionDto) {
    return idpConnectionView(await this.connections.updateIdpConnection(p.actor, org, id, body));
  }

  @Patch('ds-clients/:id')
  @ApiOperation({ summary: 'Update a delivery-service client in place (name, webhook URL)' })
  async updateDs(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: UpdateDsClientDto) {
    return dsClientView(await this.connections.updateDsClient(p.actor, org, id, body));
  }

  /** The new token and webhook secret are in this response only; the old ones work until the overlap ends. */
  @Post('ds-clients/:id/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a DS client bearer token and/or webhook signing secret with an overlap' })
  async rotateDs(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RotateDsClientDto) {
    const overlapSeconds = body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const rotated = await this.connections.rotateDsClient(p.actor, org, id, {
      overlapSeconds,
      token: body.token ?? true,
      webhookSecret: body.webhookSecret ?? true,
    });
    return { ...dsClientView(rotated.row), token: rotated.token, webhookSecret: rotated.webhookSecret, overlapSeconds };
  }

  /** The new token is in this response only; the old one works until the overlap ends. */
  @Post('scim-tokens/:id/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a SCIM bearer token with an overlap' })
  async rotateScim(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RotateScimTokenDto) {
    const overlapSeconds = body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const rotated = await this.connections.rotateScimToken(p.actor, org, id, { overlapSeconds });
    return { ...scimTokenView(rotated.row), token: rotated.token, overlapSeconds };
  }
}
