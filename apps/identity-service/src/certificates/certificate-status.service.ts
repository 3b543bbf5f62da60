import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PgListeners } from '../database/index.js';
import { ChainValidationError, identityOf, validateChain, X509ProfileError, type ClientIdentity } from '#x509-profile';
import { reasonName } from './revocation-reason.js';
import { CERTIFICATE_STATUS_CHANNEL } from './certificate-status-channel.js';
import { OrgCaService } from './org-ca.service.js';

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'unknown' | 'untrusted';

export interface StatusResult {
  /** Hex SHA-256 of the leaf certificate. */
  fingerprint: string;
  status: CertificateStatus;
  reason?: string;
  revokedAt?: string;
  notAfter?: string;
  /** True when a renewal replaced this certificate (it stays valid until it expires). */
  superseded?: boolean;
  identity?: ClientIdentity;
}

export type StatusQuery = { chain: Uint8Array[] } | { fingerprint: string };

/** A backstop for the NOTIFY-based invalidation (the cache is also cleared when the listener reconnects). */
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 200_000;

interface Row {
  sha256: Buffer;
  der: Buffer;
  status: 'active' | 'revoked' | 'superseded';
  revoked_at: Date | null;
  revocation_reason: number | null;
  not_before: Date;
  not_after: Date;
}

/**
 * Certificate status for delivery services and devices. Certificates we issued are
 * answered from our own records (exact DER match, so no signature check is needed);
 * anything else is path-validated against the org's CAs to tell `unknown` (ours, but not
 * on record) from `untrusted`. Answers are cached by fingerprint; a revocation's NOTIFY
 * drops the org's cache on every replica when its transaction commits.
 */
@Injectable()
export class CertificateStatusService implements OnApplicationBootstrap {
  private readonly log = new Logger(CertificateStatusService.name);
  private readonly cache = new Map<string, { result: StatusResult; until: number }>();
  /** What a certificate names never changes, so its parsed identity outlives status entries. */
  private readonly identities = new Map<string, ClientIdentity>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cas: OrgCaService,
    private readonly listeners: PgListeners,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listeners.open({
      channels: [CERTIFICATE_STATUS_CHANNEL],
      onNotification: (_channel, orgId) => this.forgetOrg(orgId),
      // Revocations committed while the connection was down were never notified to us.
      onReconnect: () => {
        this.log.warn('status listener reconnected; clearing the status cache');
        this.cache.clear();
      },
    });
  }

  forgetOrg(orgId: string): void {
    const prefix = `${orgId}:`;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  async check(orgId: string, queries: StatusQuery[], now = new Date()): Promise<StatusResult[]> {
    const fingerprints = queries.map((q) =>
      'fingerprint' in q ? q.fingerprint.toLowerCase() : createHash('sha256').update(q.chain[0]).digest('hex'),
    );
    const results: (StatusResult | undefined)[] = fingerprints.map((f) => {
      const hit = this.cache.get(`${orgId}:${f}`);
      return hit && hit.until > now.getTime() ? hit.result : undefined;
    });
    const missing = [...new Set(fingerprints.filter((_, i) => !results[i]))];
    if (missing.length > 0) {
      const rows: Row[] = await this.dataSource.query(
        `SELECT sha256, der, status, revoked_at, revocation_reason, not_before, not_after
           FROM certificate WHERE org_id = $1 AND sha256 = ANY($2::bytea[])`,
        [orgId, missing.map((f) => Buffer.from(f, 'hex'))],
      );
      const byFingerprint = new Map(rows.map((r) => [r.sha256.toString('hex'), r]));
      // The org's CAs, read once per call and only if some chain is not on record.
      let anchors: Promise<{ roots: Uint8Array[]; intermediates: Uint8Array[] }> | undefined;
      const trustAnchors = () => (anchors ??= this.trustAnchors(orgId));
      for (let i = 0; i < queries.length; i++) {
        if (results[i]) continue;
        const row = byFingerprint.get(fingerprints[i]);
        const q = queries[i];
        const result = row
          ? this.fromRecord(fingerprints[i], row, now)
          : 'chain' in q
            ? await this.fromChain(await trustAnchors(), fingerprints[i], q.chain, now)
            : { fingerprint: fingerprints[i], status: 'unknown' as const, reason: 'not_issued_here' };
        results[i] = result;
        this.remember(`${orgId}:${fingerprints[i]}`, result, row ? new Date(row.not_after) : undefined, now);
      }
    }
    return results as StatusResult[];
  }

  private remember(key: string, result: StatusResult, notAfter: Date | undefined, now: Date): void {
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    const until = Math.min(now.getTime() + CACHE_TTL_MS, notAfter ? notAfter.getTime() : Infinity);
    this.cache.set(key, { result, until });
  }

  private fromRecord(fingerprint: string, row: Row, now: Date): StatusResult {
    let identity = this.identities.get(fingerprint);
    if (!identity) {
      identity = identityOf([new Uint8Array(row.der)]);
      if (this.identities.size >= CACHE_MAX) this.identities.delete(this.identities.keys().next().value!);
      this.identities.set(fingerprint, identity);
    }
    const base = { fingerprint, notAfter: new Date(row.not_after).toISOString(), identity };
    if (row.status === 'revoked') {
      return {
        ...base,
        status: 'revoked',
        reason: reasonName(row.revocation_reason),
        revokedAt: new Date(row.revoked_at!).toISOString(),
      };
    }
    if (new Date(row.not_after) <= now) return { ...base, status: 'expired', reason: 'expired' };
    if (new Date(row.not_before) > now) return { ...base, status: 'untrusted', reason: 'not_yet_valid' };
    return { ...base, status: 'valid', ...(row.status === 'superseded' ? { superseded: true } : {}) };
  }

  private async trustAnchors(orgId: string): Promise<{ roots: Uint8Array[]; intermediates: Uint8Array[] }> {
    const [roots, intermediates] = await Promise.all([this.cas.trusted(orgId, 'root'), this.cas.trusted(orgId, 'intermediate')]);
    return { roots: roots.map((r) => new Uint8Array(r.der)), intermediates: intermediates.map((r) => new Uint8Array(r.der)) };
  }

  private async fromChain(
    anchors: { roots: Uint8Array[]; intermediates: Uint8Array[] },
    fingerprint: string,
    chain: Uint8Array[],
    now: Date,
  ): Promise<StatusResult> {
    try {
      const validated = await validateChain(chain, { trustAnchors: anchors.roots, intermediates: anchors.intermediates, at: now });
      return { fingerprint, status: 'unknown', reason: 'not_on_record', identity: validated.identity };
    } catch (e) {
      if (e instanceof ChainValidationError) {
        return { fingerprint, status: e.reason === 'expired' ? 'expired' : 'untrusted', reason: e.reason };
      }
      if (e instanceof X509ProfileError) return { fingerprint, status: 'untrusted', reason: 'malformed' };
      throw e;
    }
  }
}
