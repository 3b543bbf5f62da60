import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { CertificateRevocationService, type RevocationReason, type RevokedCertificateRow } from '../certificates/index.js';
import { OutboxService, type OutboxEvent } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import { DeviceRepository, isActiveDevice, type DeviceRecord } from './device.repository.js';
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

export interface CertificateRevocationResult extends RevocationResult {
  /** False when the certificate already was revoked (a retry changes nothing). */
  revoked: boolean;
  /** True when the reason took the whole device (its leaves are being removed). */
  deviceRevoked: boolean;
}

/** Reasons that, for a device's current certificate, concern the certificate and not the device. */
const CERTIFICATE_ONLY_REASONS: ReadonlySet<RevocationReason> = new Set(['cACompromise', 'superseded']);

/**
 * The one revocation path, whoever asks (SCIM deprovisioning, the device limit at
 * enrollment, an admin reporting a lost device or one bad certificate, the lifecycle sweep).
 * Two granularities, each in the caller's transaction, each idempotent (what is already
 * revoked is left as it is, so retries do nothing twice):
 *
 * - a DEVICE: the device and all its live (active or superseded) certificates are revoked;
 *   a `certificate_revoked` key-transparency entry per certificate; the CRLs of their CAs
 *   refreshed; the devices-revoked topic, which plans the MLS removals; status caches
 *   dropped; one audit record per device.
 * - one CERTIFICATE: what happens depends on the reason (docs/architecture.md, "Revocation
 *   reasons"): `keyCompromise` of any certificate of an active device, and every other reason
 *   but `cACompromise` and `superseded` for the device's CURRENT certificate, revoke the whole
 *   device (its leaves must go: they show a credential that no longer stands). Otherwise that
 *   certificate only is revoked, with its key-transparency entry, the CRL refresh, status
 *   caches dropped and an audit record, and the device stays. `superseded` is refused for a
 *   current certificate: nothing replaces it.
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

  /**
   * One certificate, in its own transaction, with the semantics of its reason (see the class
   * comment): the device goes with it when the reason says the device's credential no longer
   * stands.
   */
  async revokeCertificate(actor: string, orgId: string, certificateId: string, reason: RevocationReason): Promise<CertificateRevocationResult> {
    return this.dataSource.transaction(async (m) => {
      const certificate = await this.certificates.lock(m, orgId, certificateId);
      if (certificate.status === 'revoked') return { revoked: false, deviceRevoked: false, devices: [], certificates: [] };
      const current = certificate.status === 'active';
      if (reason === 'superseded' && current) {
        throw DeviceErrors.error(
          'certificate_is_current',
          'nothing supersedes the current certificate: revoke it with another reason, or the device',
        );
      }
      const device = certificate.deviceId ? await this.devices.find(m, orgId, certificate.deviceId) : null;
      if (device && isActiveDevice(device) && (reason === 'keyCompromise' || (current && !CERTIFICATE_ONLY_REASONS.has(reason)))) {
        const result = await this.revokeDevices(m, { orgId, deviceIds: [device.id], reason, actor });
        return { revoked: true, deviceRevoked: true, ...result };
      }
      const now = new Date();
      await this.certificates.revokeOne(m, { orgId, certificateId, reason, at: now });
      await this.certificatesRevoked(m, { orgId, actor, reason, at: now, certificates: [certificate], devices: device ? [device] : [] });
      return { revoked: true, deviceRevoked: false, devices: [], certificates: [certificate.id] };
    });
  }

  /**
   * Certificates already revoked in `m` while their devices stay (one bad certificate, a
   * superseded one retired): key-transparency entries, CRL refresh, status caches, audit.
   */
  async certificatesRevoked(
    m: EntityManager,
    r: {
      orgId: string;
      actor: string;
      reason: RevocationReason;
      at: Date;
      certificates: readonly Pick<RevokedCertificateRow, 'id' | 'caId' | 'deviceId' | 'sha256'>[];
      devices: readonly Pick<DeviceRecord, 'id' | 'accountId' | 'signatureKeySha256'>[];
    },
  ): Promise<void> {
    if (r.certificates.length === 0) return;
    const byId = new Map(r.devices.map((d) => [d.id, d]));
    await this.outbox.enqueue(
      m,
      ...this.certificates.crlRefresh(r.orgId, r.certificates),
      ...r.certificates.map((c) => {
        const device = c.deviceId ? byId.get(c.deviceId) : undefined;
        return ktAppend({
          type: 'certificate_revoked',
          orgId: r.orgId,
          accountId: device?.accountId,
          deviceId: c.deviceId ?? undefined,
          certificateSha256: c.sha256.toString('hex'),
          signatureKeySha256: device ? device.signatureKeySha256.toString('hex') : undefined,
          reason: r.reason,
          timestamp: r.at.toISOString(),
        });
      }),
    );
    await this.certificates.statusChanged(m, r.orgId);
    await this.audit.record(
      m,
      ...r.certificates.map((c) => ({
        orgId: r.orgId,
        actor: r.actor,
        action: 'certificate.revoke',
        target: `certificate:${c.id}`,
        details: { reason: r.reason, ...(c.deviceId ? { deviceId: c.deviceId } : {}) },
      })),
    );
  }
}
