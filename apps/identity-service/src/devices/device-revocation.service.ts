import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CERTIFICATE_STATUS_CHANNEL } from '../certificates/certificate-status-channel.js';
import { CRL_REFRESH_TOPIC, type CrlRefreshPayload } from '../certificates/crl-refresh.topic.js';
import { CRL_REASON, type RevocationReason } from '../certificates/revocation-reason.js';
import { OutboxService, type OutboxEvent } from '../outbox/outbox.service.js';
import { DEVICES_REVOKED_TOPIC, type DevicesRevokedPayload } from '../devices/devices-revoked.topic.js';
import { ktAppend } from '../transparency/kt-event.js';

export interface DeviceRevocation {
  orgId: string;
  deviceIds: string[];
  reason: RevocationReason;
  actor: string;
}

export interface RevocationResult {
  devices: string[];
  certificates: string[];
}

/**
 * The one way a device loses its credential, whoever asks (SCIM deprovisioning, an admin
 * reporting a lost device, the device itself): devices and their live certificates
 * revoked, and in the same transaction the outbox events that refresh CRLs, append
 * key-transparency entries and plan MLS removals. Devices already revoked are left as
 * they are, so retries do nothing twice.
 */
@Injectable()
export class DeviceRevocationService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async revokeDevices(m: EntityManager, r: DeviceRevocation): Promise<RevocationResult> {
    if (r.deviceIds.length === 0) return { devices: [], certificates: [] };
    const now = new Date();
    const [devices]: [{ id: string; account_id: string; signature_key_sha256: Buffer }[], number] = await m.query(
      `UPDATE device SET status = 'revoked', revoked_at = $3, revocation_reason = $4
        WHERE org_id = $1 AND id = ANY($2::uuid[]) AND status = 'active'
        RETURNING id, account_id, signature_key_sha256`,
      [r.orgId, r.deviceIds, now, r.reason],
    );
    if (devices.length === 0) return { devices: [], certificates: [] };
    const revokedIds = devices.map((d) => d.id);
    const [certificates]: [{ id: string; ca_id: string; device_id: string; sha256: Buffer }[], number] = await m.query(
      `UPDATE certificate SET status = 'revoked', revoked_at = $3, revocation_reason = $4
        WHERE org_id = $1 AND device_id = ANY($2::uuid[]) AND status IN ('active', 'superseded')
        RETURNING id, ca_id, device_id, sha256`,
      [r.orgId, revokedIds, now, CRL_REASON[r.reason]],
    );

    const events: OutboxEvent[] = [];
    const caIds = [...new Set(certificates.map((c) => c.ca_id))];
    if (caIds.length > 0) {
      events.push({ orgId: r.orgId, topic: CRL_REFRESH_TOPIC, payload: { caIds } satisfies CrlRefreshPayload });
    }
    const byDevice = new Map(devices.map((d) => [d.id, d]));
    for (const c of certificates) {
      const d = byDevice.get(c.device_id)!;
      events.push(
        ktAppend({
          type: 'certificate_revoked',
          orgId: r.orgId,
          accountId: d.account_id,
          deviceId: d.id,
          certificateSha256: Buffer.from(c.sha256).toString('hex'),
          signatureKeySha256: Buffer.from(d.signature_key_sha256).toString('hex'),
          reason: r.reason,
          timestamp: now.toISOString(),
        }),
      );
    }
    events.push({
      orgId: r.orgId,
      topic: DEVICES_REVOKED_TOPIC,
      payload: { deviceIds: revokedIds, reason: r.reason } satisfies DevicesRevokedPayload,
    });
    await this.outbox.enqueue(m, ...events);
    // Status caches on every replica drop this org's entries when the transaction commits.
    await m.query(`SELECT pg_notify($1, $2)`, [CERTIFICATE_STATUS_CHANNEL, r.orgId]);
    await this.audit.record(
      m,
      ...devices.map((d) => ({
        orgId: r.orgId,
        actor: r.actor,
        action: 'device.revoke',
        target: `device:${d.id}`,
        details: { reason: r.reason, accountId: d.account_id, certificates: certificates.filter((c) => c.device_id === d.id).length },
      })),
    );
    return { devices: revokedIds, certificates: certificates.map((c) => c.id) };
  }
}
