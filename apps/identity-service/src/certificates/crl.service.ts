import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { createCrl } from '#x509-profile';
import { KEY_STORE, type KeyStore } from '../keys/index.js';
import { effectiveSettings, OrgsService } from '../orgs/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { OrgCa } from './ca.entity.js';
import { CRL_REFRESH_TOPIC, type CrlRefreshPayload } from './crl-refresh.topic.js';
import { reasonName } from './revocation-reason.js';

/** How often replicas look for CRLs past half their validity. */
const SWEEP_MS = 60_000;
/** How often replicas look for CAs whose CRL a revocation made stale (well inside the 1 s promise). */
const STALE_POLL_MS = 150;
/**
 * A CA's CRL is re-signed at most this often: signing a large CRL occupies the event loop
 * (~75 ms per 1,000 entries), so a stream of revocations is served by a few signings, and
 * outbox delay + this + the poll still stay under a second.
 */
const MIN_RESIGN_INTERVAL_MS = 400;

/**
 * CRLs: regenerated (CRL number + 1) soon after a revocation commits — the outbox marks the
 * CA stale and a short poll re-signs it once for every revocation since — and before half
 * their validity runs out, so a relying party never holds a CRL past nextUpdate.
 */
@Injectable()
export class CrlService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CrlService.name);
  private sweeper: NodeJS.Timeout | undefined;
  private stalePoller: NodeJS.Timeout | undefined;
  private refreshing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    private readonly outbox: OutboxWorker,
    private readonly orgs: OrgsService,
  ) {}

  onApplicationBootstrap(): void {
    this.outbox.register(CRL_REFRESH_TOPIC, async (message, m) => {
      const { caIds } = message.payload as CrlRefreshPayload;
      await m.query(`UPDATE ca SET crl_stale_since = COALESCE(crl_stale_since, now()) WHERE id = ANY($1::uuid[])`, [caIds]);
    });
    this.stalePoller = setInterval(() => void this.refreshStale().catch((e) => this.log.error(`CRL refresh failed: ${e.message}`)), STALE_POLL_MS);
    this.stalePoller.unref();
    this.sweeper = setInterval(() => void this.sweep().catch((e) => this.log.error(`CRL sweep failed: ${e.message}`)), SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    clearInterval(this.stalePoller);
  }

  /** Re-signs every stale CRL once (any replica; a CA being refreshed elsewhere is skipped). */
  async refreshStale(): Promise<number> {
    if (this.refreshing) return 0;
    this.refreshing = true;
    try {
      const stale: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM ca WHERE crl_stale_since IS NOT NULL
            AND (crl_this_update IS NULL OR crl_this_update < now() - ($1::int * interval '1 millisecond'))
          ORDER BY crl_stale_since LIMIT 50`,
        [MIN_RESIGN_INTERVAL_MS],
      );
      let done = 0;
      for (const { id } of stale) {
        done += await this.dataSource.transaction(async (m) => {
          const [locked] = await m.query(`SELECT id FROM ca WHERE id = $1 AND crl_stale_since IS NOT NULL FOR UPDATE SKIP LOCKED`, [id]);
          if (!locked) return 0;
          await this.refresh(m, id);
          return 1;
        });
      }
      return done;
    } finally {
      this.refreshing = false;
    }
  }

  /** Signs a new CRL for `caId` from the revocations committed so far (serialised per CA). */
  async refresh(m: EntityManager, caId: string): Promise<OrgCa> {
    const ca = await m.getRepository(OrgCa).createQueryBuilder('c').setLock('pessimistic_write').where('c.id = :caId', { caId }).getOneOrFail();
    const org = await this.orgs.findById(ca.orgId, m);
    const validityMs = effectiveSettings(org?.settings).certificates.crlValidityMinutes * 60_000;
    // Entries stay until a day past the certificate's expiry (RFC 5280 §3.3 lets them go after).
    const rows: { serial: string; revoked_at: Date; revocation_reason: number | null }[] =
      ca.kind === 'root'
        ? await m.query(
            `SELECT serial, revoked_at, revocation_reason FROM ca
              WHERE parent_id = $1 AND revoked_at IS NOT NULL AND not_after > now() - interval '1 day'`,
            [ca.id],
          )
        : await m.query(
            `SELECT serial, revoked_at, revocation_reason FROM certificate
              WHERE ca_id = $1 AND revoked_at IS NOT NULL AND not_after > now() - interval '1 day'`,
            [ca.id],
          );
    const now = new Date();
    const crl = await createCrl({
      issuer: { certificate: ca.der, privateKey: await this.keys.signingCryptoKey(ca.keyId, m) },
      crlNumber: Number(ca.crlNumber) + 1,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + validityMs),
      entries: rows.map((r) => ({
        serialNumber: r.serial,
        revocationDate: new Date(r.revoked_at),
        reason: reasonName(r.revocation_reason),
      })),
    });
    ca.crlNumber = String(crl.crlNumber);
    ca.crlDer = Buffer.from(crl.der);
    ca.crlThisUpdate = crl.thisUpdate;
    ca.crlNextUpdate = crl.nextUpdate;
    await m.update(
      OrgCa,
      { id: ca.id },
      { crlNumber: ca.crlNumber, crlDer: ca.crlDer, crlThisUpdate: ca.crlThisUpdate, crlNextUpdate: ca.crlNextUpdate, crlStaleSince: null },
    );
    return ca;
  }

  /** Re-signs CRLs whose remaining validity is under half (any replica; rows are locked). */
  async sweep(): Promise<number> {
    const due: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM ca WHERE not_after > now() AND crl_next_update IS NOT NULL
          AND crl_next_update - now() < (crl_next_update - crl_this_update) / 2`,
    );
    for (const { id } of due) {
      await this.dataSource.transaction((m) => this.refresh(m, id));
    }
    return due.length;
  }
}
