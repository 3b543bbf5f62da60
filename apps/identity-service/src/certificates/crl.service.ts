import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { createCrl } from '#x509-profile';
import { KEY_STORE, type KeyStore } from '../keys/key-store.js';
import { effectiveSettings } from '../orgs/org-settings.js';
import { OutboxWorker } from '../outbox/outbox.worker.js';
import { OrgCa } from './ca.entity.js';
import { CRL_REFRESH_TOPIC, type CrlRefreshPayload } from './crl-refresh.topic.js';
import { reasonName } from './revocation-reason.js';


/** How often replicas look for CRLs past half their validity. */
const SWEEP_MS = 60_000;

/**
 * CRLs: regenerated (CRL number + 1) when a revocation commits — through the outbox, so
 * within the worker's poll interval — and before half their validity runs out, so a
 * relying party never holds a CRL past nextUpdate.
 */
@Injectable()
export class CrlService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(CrlService.name);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    private readonly outbox: OutboxWorker,
  ) {}

  onApplicationBootstrap(): void {
    this.outbox.register(CRL_REFRESH_TOPIC, async (message, m) => {
      const { caIds } = message.payload as CrlRefreshPayload;
      for (const caId of caIds) await this.refresh(m, caId);
    });
    this.sweeper = setInterval(() => void this.sweep().catch((e) => this.log.error(`CRL sweep failed: ${e.message}`)), SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  /** Signs a new CRL for `caId` from the revocations committed so far (serialised per CA). */
  async refresh(m: EntityManager, caId: string): Promise<OrgCa> {
    const ca = await m.getRepository(OrgCa).createQueryBuilder('c').setLock('pessimistic_write').where('c.id = :caId', { caId }).getOneOrFail();
    const [{ settings }] = await m.query('SELECT settings FROM org WHERE id = $1', [ca.orgId]);
    const validityMs = effectiveSettings(settings).certificates.crlValidityMinutes * 60_000;
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
      { crlNumber: ca.crlNumber, crlDer: ca.crlDer, crlThisUpdate: ca.crlThisUpdate, crlNextUpdate: ca.crlNextUpdate },
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
