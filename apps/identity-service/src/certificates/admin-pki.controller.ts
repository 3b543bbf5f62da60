import { Body, Controller, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { RevokeCaDto, RotateCaDto } from './dto/certificates.dto.js';
import { OrgCaService } from './org-ca.service.js';

/** IT admins: CA rotation and compromise (devices and their revocation are the devices module's). */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@AdminRoute('keys:manage')
export class AdminPkiController {
  constructor(private readonly cas: OrgCaService) {}

  @Post('ca/rotate')
  async rotate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: RotateCaDto) {
    const { root, intermediate } = await this.cas.rotate(p.actor, org, body.level);
    return { root: { id: root.id, notAfter: root.notAfter }, intermediate: { id: intermediate.id, notAfter: intermediate.notAfter } };
  }

  /** An intermediate's key is compromised: revoke it and every certificate it signed; a new one signs from now on. */
  @Post('ca/:caId/revoke')
  async revoke(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('caId', new ParseUUIDPipe()) caId: string, @Body() body: RevokeCaDto) {
    const { revoked, intermediate, certificatesRevoked } = await this.cas.revokeIntermediate(p.actor, org, caId, body.reason ?? 'keyCompromise');
    return {
      revoked: { id: revoked.id, revokedAt: revoked.revokedAt },
      certificatesRevoked,
      intermediate: { id: intermediate.id, notAfter: intermediate.notAfter },
    };
  }
}
