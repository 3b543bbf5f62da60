import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminRoute, CurrentPrincipal, Permission, type Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { AccountIdpLinksService } from './account-idp-links.service.js';
import { CreateIdpLinkDto } from './dto/idp-link.dto.js';

const uuid = new ParseUUIDPipe();

/** IT admins: which of the org's IdP connections sign an account in. */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org/accounts/:id/idp-links')
@AdminRoute('directory:read')
export class AdminIdpLinksController {
  constructor(private readonly links: AccountIdpLinksService) {}

  @Get()
  async list(@OrgParam() org: Org, @Param('id', uuid) id: string) {
    return { idpLinks: await this.links.list(org, id) };
  }

  /** Which IdP identities may enroll as the account: configured like the IdP connections themselves. */
  @Post()
  @Permission('org:configure')
  async link(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: CreateIdpLinkDto) {
    return this.links.link(p.actor, org, id, body);
  }

  @Delete(':linkId')
  @HttpCode(204)
  @Permission('org:configure')
  async unlink(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Param('linkId', uuid) linkId: string) {
    await this.links.unlink(p.actor, org, id, linkId);
  }
}
