import { BadRequestException, Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
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
import { OutboxWorker } from '../outbox/outbox.worker.js';
import { KtReader } from '../transparency/kt-reader.service.js';

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
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  @Get('devices')
  async devices(@Param('org') slug: string, @Query('accountId') accountId?: string) {
    // A filter that cannot match is an error, not "no filter": never list every device instead.
    if (accountId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(accountId)) {
      throw new BadRequestException({ message: 'accountId must be a UUID', reason: 'invalid_account_id' });
    }
    const org = await this.orgs.requireBySlug(slug);
    const rows = await this.dataSource.query(
      `SELECT d.id, d.account_id AS "accountId", d.name, d.platform, d.ciphersuite, d.status,
              encode(d.signature_key_sha256, 'hex') AS "signatureKeySha256", d.created_at AS "createdAt",
              d.revoked_at AS "revokedAt", d.revocation_reason AS "revocationReason"
         FROM device d WHERE d.org_id = $1 AND ($2::uuid IS NULL OR d.account_id = $2::uuid)
        ORDER BY d.created_at LIMIT 1000`,
      [org.id, accountId ?? null],
    );
    return { devices: rows };
  }

  /** A lost or stolen device: its certificates are revoked and it is removed from its MLS groups. */
  @Post('devices/:id/revoke')
  async revokeDevice(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeDevice(p.actor, org, id, body.reason ?? 'keyCompromise');
    return { ...result, transparency: await this.receipts(org, result.certificates) };
  }

  /** The log entries of revoked certificates (waits briefly for the sequencer). */
  private async receipts(slug: string, certificateIds: string[]) {
    if (certificateIds.length === 0) return [];
    this.outbox.nudge();
    const org = await this.orgs.requireBySlug(slug);
    const rows: { id: string; sha: string }[] = await this.dataSource.query(
      `SELECT id, encode(sha256, 'hex') AS sha FROM certificate WHERE org_id = $1 AND id = ANY($2::uuid[])`,
      [org.id, certificateIds],
    );
    return Promise.all(
      rows.map(async (r) => ({ certificateId: r.id, ...(await this.kt.receipt(org, r.sha, 'certificate_revoked')) })),
    );
  }

  @Post('certificates/:id/revoke')
  async revokeCertificate(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeCertificate(p.actor, org, id, body.reason ?? 'unspecified');
    return { ...result, transparency: result.revoked ? (await this.receipts(org, [id]))[0] : null };
  }

  @Post('ca/rotate')
  async rotate(@CurrentPrincipal() p: Principal, @Param('org') org: string, @Body() body: RotateCaDto) {
    const { root, intermediate } = await this.cas.rotate(p.actor, org, body.level);
    return { root: { id: root.id, notAfter: root.notAfter }, intermediate: { id: intermediate.id, notAfter: intermediate.notAfter } };
  }
}
