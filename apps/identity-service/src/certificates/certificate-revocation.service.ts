import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OutboxEvent } from '../outbox/index.js';
import { CERTIFICATE_STATUS_CHANNEL } from './certificate-status-channel.js';
import type { Certificate } from './certificate.entity.js';
import { CertificateRepository, type RevokedCertificateRow } from './certificate.repository.js';
import { CertificateErrors } from './certificates.errors.js';
import { CRL_REFRESH_TOPIC, type CrlRefreshPayload } from './crl-refresh.topic.js';
import { CRL_REASON, type RevocationReason } from './revocation-reason.js';

/**
 * The certificates' half of revocation: the rows, the CRL refresh and the status caches.
 * Callers go through the devices module's DeviceRevocationService, the one revocation path,
 * which adds the key-transparency entries, the MLS removals and the audit records.
 */
@Injectable()
export class CertificateRevocationService {
  constructor(private readonly certificates: CertificateRepository) {}

  /** Every live (active or superseded) certificate of these devices. */
  revokeLiveOfDevices(
    m: EntityManager,
    r: { orgId: string; deviceIds: readonly string[]; reason: RevocationReason; at: Date },
  ): Promise<RevokedCertificateRow[]> {
    return this.certificates.revokeLiveOfDevices(m, r.orgId, r.deviceIds, r.at, CRL_REASON[r.reason]);
  }

  /** Superseded certificates whose successor is older than `cutoff` (the grace ran out). */
  revokeSupersededBefore(m: EntityManager, r: { orgId: string; cutoff: Date; at: Date; limit: number }): Promise<RevokedCertificateRow[]> {
    return this.certificates.revokeSupersededBefore(m, r.orgId, r.cutoff, r.at, CRL_REASON.superseded, r.limit);
  }

  /** Superseded certificates of these devices that their leaves no longer show, now that they show a newer one. */
  revokeSupersededNotShown(
    m: EntityManager,
    r: { orgId: string; shown: ReadonlyMap<string, readonly Buffer[]>; at: Date },
  ): Promise<RevokedCertificateRow[]> {
    return this.certificates.revokeSupersededNotShown(m, r.orgId, r.shown, r.at, CRL_REASON.superseded);
  }

  /** One certificate of the org, locked for the rest of the transaction (404 certificate_not_found otherwise). */
  async lock(m: EntityManager, orgId: string, certificateId: string): Promise<Certificate> {
    const certificate = await this.certificates.lock(m, orgId, certificateId);
    if (!certificate) throw CertificateErrors.error('certificate_not_found', `no certificate ${certificateId} in this org`);
    return certificate;
  }

  /** One certificate, locked; `revoked` is false when it already was (a retry changes nothing). */
  async revokeOne(
    m: EntityManager,
    r: { orgId: string; certificateId: string; reason: RevocationReason; at: Date },
  ): Promise<{ certificate: Certificate; revoked: boolean }> {
    const certificate = await this.certificates.lock(m, r.orgId, r.certificateId);
    if (!certificate) throw CertificateErrors.error('certificate_not_found', `no certificate ${r.certificateId} in this org`);
    if (certificate.status === 'revoked') return { certificate, revoked: false };
    await this.certificates.revoke(m, certificate.id, r.at, CRL_REASON[r.reason]);
    return { certificate, revoked: true };
  }

  /** The outbox event that re-signs the CRLs listing these certificates (none if there are none). */
  crlRefresh(orgId: string, revoked: readonly Pick<RevokedCertificateRow, 'caId'>[]): OutboxEvent[] {
    const caIds = [...new Set(revoked.map((c) => c.caId))];
    return caIds.length > 0 ? [{ orgId, topic: CRL_REFRESH_TOPIC, payload: { caIds } satisfies CrlRefreshPayload }] : [];
  }

  /** Status caches on every replica drop this org's entries when the transaction commits. */
  async statusChanged(m: EntityManager, orgId: string): Promise<void> {
    await m.query(`SELECT pg_notify($1, $2)`, [CERTIFICATE_STATUS_CHANNEL, orgId]);
  }
}
