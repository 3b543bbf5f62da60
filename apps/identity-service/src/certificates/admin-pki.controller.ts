import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { CertificateRevocationService } from './certificate-revocation.service.js';
import { RevokeDto, RotateCaDto } from './dto/certificates.dto.js';
import { OrgCaService } from './org-ca.service.js';

const uuid = new ParseUUIDPipe();

/** IT admins: devices (lost device), certificates, CA rotation. */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@Authenticated('admin')
export class AdminPkiController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orgs: OrgsService,
    private readonly cas: OrgCaService,
    private readonly revocation: CertificateRevocationService,
  ) {}

  @Get('devices')
  async devices(@Param('org') slug: string, @Query('accountId') accountId?: string) {
    const org = await this.orgs.requireBySlug(slug);
    const rows = await this.dataSource.query(
      `SELECT d.id, d.account_id AS "accountId", d.name, d.platform, d.ciphersuite, d.status,
              encode(d.signature_key_sha256, 'hex') AS "signatureKeySha256", d.created_at AS "createdAt",
              d.revoked_at AS "revokedAt", d.revocation_reason AS "revocationReason"
         FROM device d WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.account_id = $2::uuid)
        ORDER BY d.created_at LIMIT 1000`,
      [org.id, accountId && /^[0-9a-f-]{36}$/i.test(accountId) ? accountId : null],
    );
    return { devices: rows };
  }

  /** A lost or stolen device: its certificates are revoked and it is removed from its MLS groups. */
  @Post('devices/:id/revoke')
  async revokeDevice(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    return this.revocation.revokeDevice(p.actor, org, id, body.reason ?? 'keyCompromise');
  }

  @Post('certificates/:id/revoke')
  async revokeCertificate(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    return this.revocation.revokeCertificate(p.actor, org, id, body.reason ?? 'unspecified');
  }

  @Post('ca/rotate')
  async rotate(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: RotateCaDto) {
    const { root, intermediate } = await this.cas.rotate(p.actor, org, body.level);
    return { root: { id: root.id, notAfter: root.notAfter }, intermediate: { id: intermediate.id, notAfter: intermediate.notAfter } };
  }
}
