import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DeviceRevocationService, type RevocationResult } from '../devices/device-revocation.service.js';
import { AuditService } from '../audit/audit.service.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { ktAppend } from '../transparency/kt-event.js';
import { CERTIFICATE_STATUS_CHANNEL } from './certificate-status-channel.js';
import { CRL_REFRESH_TOPIC } from './crl-refresh.topic.js';
import { CRL_REASON, type RevocationReason } from './revocation-reason.js';

/** Admin-initiated revocation: a whole device (lost or stolen) or one certificate. */
@Injectable()
export class CertificateRevocationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orgs: OrgsService,
    private readonly devices: DeviceRevocationService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async revokeDevice(actor: string, orgSlug: string, deviceId: string, reason: RevocationReason): Promise<RevocationResult> {
    const org = await this.orgs.requireBySlug(orgSlug);
    return this.dataSource.transaction(async (m) => {
      const [device] = await m.query('SELECT id FROM device WHERE id = $1 AND org_id = $2', [deviceId, org.id]);
      if (!device) throw new NotFoundException(`no device ${deviceId} in org "${orgSlug}"`);
      return this.devices.revokeDevices(m, { orgId: org.id, deviceIds: [deviceId], reason, actor });
    });
  }

  /** One certificate only (e.g. a superseded one); the device keeps its other certificates. */
  async revokeCertificate(actor: string, orgSlug: string, certificateId: string, reason: RevocationReason): Promise<{ revoked: boolean }> {
    const org = await this.orgs.requireBySlug(orgSlug);
    return this.dataSource.transaction(async (m) => {
      const [cert] = await m.query(
        `SELECT c.id, c.ca_id, c.sha256, c.status, c.device_id, d.account_id, d.signature_key_sha256
           FROM certificate c LEFT JOIN device d ON d.id = c.device_id WHERE c.id = $1 AND c.org_id = $2 FOR UPDATE OF c`,
        [certificateId, org.id],
      );
      if (!cert) throw new NotFoundException(`no certificate ${certificateId} in org "${orgSlug}"`);
      if (cert.status === 'revoked') return { revoked: false };
      const now = new Date();
      await m.query(`UPDATE certificate SET status = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE id = $1`, [
        certificateId,
        now,
        CRL_REASON[reason],
      ]);
      await this.outbox.enqueue(
        m,
        { orgId: org.id, topic: CRL_REFRESH_TOPIC, payload: { caIds: [cert.ca_id] } },
        ktAppend({
          type: 'certificate_revoked',
          orgId: org.id,
          accountId: cert.account_id ?? undefined,
          deviceId: cert.device_id ?? undefined,
          certificateSha256: Buffer.from(cert.sha256).toString('hex'),
          signatureKeySha256: cert.signature_key_sha256 ? Buffer.from(cert.signature_key_sha256).toString('hex') : undefined,
          reason,
          timestamp: now.toISOString(),
        }),
      );
      await m.query(`SELECT pg_notify($1, $2)`, [CERTIFICATE_STATUS_CHANNEL, org.id]);
      await this.audit.record(m, { orgId: org.id, actor, action: 'certificate.revoke', target: `certificate:${certificateId}`, details: { reason } });
      return { revoked: true };
    });
  }
}
