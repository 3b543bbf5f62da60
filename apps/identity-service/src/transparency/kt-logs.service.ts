import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createPublicKey } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ed25519NoteSigner, emptyTreeHash, formatEd25519VerifierKey, signCheckpoint, type NoteSigner } from '#tlog';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { KEY_STORE, type KeyStore } from '../keys/key-store.js';
import type { Org } from '../orgs/org.entity.js';
import { OrgsService } from '../orgs/orgs.service.js';
import { logOrigin } from './log-origin.js';
import type { Querier } from './postgres-hash-reader.js';

/** What the sequencer and the readers need of an org's log. */
export interface LogState {
  orgId: string;
  origin: string;
  keyId: string;
  size: number;
  rootHash: Uint8Array;
}

export const KT_LOG_KEY_PURPOSE = 'kt-log';

interface LogRow {
  org_id: string;
  origin: string;
  key_id: string;
  size: string;
  root_hash: Buffer;
}

const toState = (r: LogRow): LogState => ({
  orgId: r.org_id,
  origin: r.origin,
  keyId: r.key_id,
  size: Number(r.size),
  rootHash: new Uint8Array(r.root_hash),
});

/**
 * One log per org: created with the org (its Ed25519 key in the KeyStore, an empty tree and
 * a signed size-0 checkpoint), or on first use for orgs that predate the log. Checkpoints
 * are signed here through the KeyStore; the private key never leaves custody.
 */
@Injectable()
export class KtLogs implements OnModuleInit {
  private readonly rawKeys = new Map<string, Uint8Array>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly orgs: OrgsService,
  ) {}

  onModuleInit(): void {
    this.orgs.onOrgCreated(async (m, org) => {
      await this.createLog(m, org);
    });
  }

  async find(db: Querier, orgId: string): Promise<LogState | null> {
    const [row]: LogRow[] = await db.query(`SELECT org_id, origin, key_id, size, root_hash FROM kt_log WHERE org_id = $1`, [orgId]);
    return row ? toState(row) : null;
  }

  /** The org's log, created now if the org predates it. */
  async ensure(orgId: string, m?: EntityManager): Promise<LogState> {
    const found = await this.find(m ?? this.dataSource, orgId);
    if (found) return found;
    const create = async (tx: EntityManager) => {
      // Serialises concurrent first uses (readers, the sequencer on several replicas).
      const [org]: { id: string; slug: string }[] = await tx.query(`SELECT id, slug FROM org WHERE id = $1 FOR NO KEY UPDATE`, [orgId]);
      if (!org) throw new Error(`no org ${orgId}`);
      return (await this.find(tx, orgId)) ?? this.createLog(tx, org);
    };
    return m ? create(m) : this.dataSource.transaction(create);
  }

  /** Inside the org-creation (or first-use) transaction. */
  async createLog(m: EntityManager, org: Pick<Org, 'id' | 'slug'>): Promise<LogState> {
    const key = await this.keys.generate(org.id, KT_LOG_KEY_PURPOSE, 'Ed25519', m);
    const state: LogState = {
      orgId: org.id,
      origin: logOrigin(this.config.publicUrl, org.slug),
      keyId: key.id,
      size: 0,
      rootHash: emptyTreeHash(),
    };
    await m.query(`INSERT INTO kt_log (org_id, origin, key_id, size, root_hash) VALUES ($1, $2, $3, 0, $4)`, [
      state.orgId,
      state.origin,
      state.keyId,
      Buffer.from(state.rootHash),
    ]);
    await this.signAndStoreCheckpoint(m, state);
    return state;
  }

  /** The raw 32-byte Ed25519 public key of the log (the KeyStore holds it as SPKI). */
  async publicKey(keyId: string, m?: EntityManager): Promise<Uint8Array> {
    const cached = this.rawKeys.get(keyId);
    if (cached) return cached;
    const handle = await this.keys.get(keyId, m);
    const jwk = createPublicKey({ key: Buffer.from(handle.publicKey), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const raw = new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
    this.rawKeys.set(keyId, raw);
    return raw;
  }

  /** GET /kt/{org}/key: `origin+keyid+base64(0x01 ‖ key)`. */
  async verifierKey(log: LogState): Promise<string> {
    return formatEd25519VerifierKey(log.origin, await this.publicKey(log.keyId));
  }

  private async signer(log: LogState, m: EntityManager): Promise<NoteSigner> {
    return ed25519NoteSigner(log.origin, await this.publicKey(log.keyId, m), (message) => this.keys.sign(log.keyId, message, {}, m));
  }

  /** Signs the checkpoint of `log` as it is now and stores it, in the caller's transaction. */
  async signAndStoreCheckpoint(m: EntityManager, log: LogState): Promise<string> {
    const note = await signCheckpoint({ origin: log.origin, size: log.size, rootHash: log.rootHash, extensions: [] }, [
      await this.signer(log, m),
    ]);
    await m.query(`INSERT INTO kt_checkpoint (org_id, size, root_hash, note) VALUES ($1, $2, $3, $4)`, [
      log.orgId,
      String(log.size),
      Buffer.from(log.rootHash),
      note,
    ]);
    return note;
  }
}
