import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { CertificateRevocationService, type RevocationReason } from '../certificates/index.js';
import { OutboxService, type OutboxEvent } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import { DeviceRepository } from './device.repository.js';
import { DeviceErrors } from './devices.errors.js';
import { DEVICES_REVOKED_TOPIC, type DevicesRevokedPayload } from './devices-revoked.topic.js';

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
 * The one revocation path, whoever asks (SCIM deprovisioning, the device limit at
 * enrollment, an admin reporting a lost device or one bad certificate). Two granularities,
 * each in the caller's transaction, each idempotent (what is already revoked is left as it
 * is, so retries do nothing twice):
 *
 * - a DEVICE: the device and all its live (active or superseded) certificates are revoked;
 *   a `certificate_revoked` key-transparency entry per certificate; the CRLs of their CAs
 *   refreshed; the devices-revoked topic, which plans the MLS removals; status caches
 *   dropped; one audit record per device.
 * - one CERTIFICATE: that certificate only is revoked, with its key-transparency entry, the
 *   CRL refresh, status caches dropped and an audit record. The device stays active with its
 *   other certificates (e.g. revoking a superseded one), so no MLS removal is planned.
 */
@Injectable()
export class DeviceRevocationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly certificates: CertificateRevocationService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  async revokeDevices(m: EntityManager, r: DeviceRevocation): Promise<RevocationResult> {
    if (r.deviceIds.length === 0) return { devices: [], certificates: [] };
    const now = new Date();
    const devices = await this.devices.revokeActive(m, r.orgId, r.deviceIds, now, r.reason);
    if (devices.length === 0) return { devices: [], certificates: [] };
    const revokedIds = devices.map((d) => d.id);
    const certificates = await this.certificates.revokeLiveOfDevices(m, { orgId: r.orgId, deviceIds: revokedIds, reason: r.reason, at: now });

    const events: OutboxEvent[] = this.certificates.crlRefresh(r.orgId, certificates);
    const byDevice = new Map(devices.map((d) => [d.id, d]));
    for (const c of certificates) {
      const d = byDevice.get(c.deviceId!)!;
      events.push(
        ktAppend({
          type: 'certificate_revoked',
          orgId: r.orgId,
          accountId: d.accountId,
          deviceId: d.id,
          certificateSha256: c.sha256.toString('hex'),
          signatureKeySha256: d.signatureKeySha256.toString('hex'),
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
    await this.certificates.statusChanged(m, r.orgId);
    await this.audit.record(
      m,
      ...devices.map((d) => ({
        orgId: r.orgId,
        actor: r.actor,
        action: 'device.revoke',
        target: `device:${d.id}`,
        details: { reason: r.reason, accountId: d.accountId, certificates: certificates.filter((c) => c.deviceId === d.id).length },
      })),
    );
    return { devices: revokedIds, certificates: certificates.map((c) => c.id) };
  }

  /** One device of the org, in its own transaction (404 device_not_found for another org's). */
  async revokeDevice(actor: string, orgId: string, deviceId: string, reason: RevocationReason): Promise<RevocationResult> {
    return this.dataSource.transaction(async (m) => {
      if (!(await this.devices.find(m, orgId, deviceId))) throw DeviceErrors.error('device_not_found', `no device ${deviceId} in this org`);
      return this.revokeDevices(m, { orgId, deviceIds: [deviceId], reason, actor });
    });
  }

  /** One certificate only, in its own transaction; `revoked` is false when it already was. */
  async revokeCertificate(actor: string, orgId: string, certificateId: string, reason: RevocationReason): Promise<{ revoked: boolean }> {
    return this.dataSource.transaction(async (m) => {
      const now = new Date();
      const { certificate, revoked } = await this.certificates.revokeOne(m, { orgId, certificateId, reason, at: now });
      if (!revoked) return { revoked: false };
      const device = certificate.deviceId ? await this.devices.find(m, orgId, certificate.deviceId) : null;
      await this.outbox.enqueue(
        m,
        ...this.certificates.crlRefresh(orgId, [certificate]),
        ktAppend({
          type: 'certificate_revoked',
          orgId,
          accountId: device?.accountId,
          deviceId: certificate.deviceId ?? undefined,
          certificateSha256: certificate.sha256.toString('hex'),
          signatureKeySha256: device ? device.signatureKeySha256.toString('hex') : undefined,
          reason,
          timestamp: now.toISOString(),
        }),
      );
      await this.certificates.statusChanged(m, orgId);
      await this.audit.record(m, { orgId, actor, action: 'certificate.revoke', target: `certificate:${certificateId}`, details: { reason } });
      return { revoked: true };
    });
  }
}
