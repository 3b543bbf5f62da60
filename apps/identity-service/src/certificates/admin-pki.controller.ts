import { Body, Controller, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { RotateCaDto } from './dto/certificates.dto.js';
import { OrgCaService } from './org-ca.service.js';

/** IT admins: CA rotation (devices and their revocation are the devices module's). */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@Authenticated('admin')
export class AdminPkiController {
  constructor(private readonly cas: OrgCaService) {}

  @Post('ca/rotate')
  async rotate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: RotateCaDto) {
    const { root, intermediate } = await this.cas.rotate(p.actor, org, body.level);
    return { root: { id: root.id, notAfter: root.notAfter }, intermediate: { id: intermediate.id, notAfter: intermediate.notAfter } };
  }
}
