import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createPublicKey } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ed25519NoteSigner, emptyTreeHash, formatEd25519VerifierKey, signCheckpoint, type NoteSigner } from '#tlog';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { KEY_STORE, type KeyStore } from '../keys/index.js';
import { OrgsService, type Org } from '../orgs/index.js';
import { findLog, insertCheckpoint, insertLog, type LogState } from './kt-log.queries.js';
import { logOrigin } from './log-origin.js';
import type { Querier } from './postgres-hash-reader.js';

export type { LogState } from './kt-log.queries.js';

export const KT_LOG_KEY_PURPOSE = 'kt-log';

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

  find(db: Querier, orgId: string): Promise<LogState | null> {
    return findLog(db, orgId);
  }

  /** The org's log, created now if the org predates it. */
  async ensure(orgId: string, m?: EntityManager): Promise<LogState> {
    const found = await this.find(m ?? this.dataSource, orgId);
    if (found) return found;
    const create = async (tx: EntityManager) => {
      // Serialises concurrent first uses (readers, the sequencer on several replicas).
      const org = await this.orgs.lock(tx, orgId, 'no key update');
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
    await insertLog(m, state);
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
    const note = await signCheckpoint({ origin: log.origin, size: log.size, rootHash: log.rootHash, extensions: [] }, [await this.signer(log, m)]);
    await insertCheckpoint(m, log.orgId, { size: log.size, rootHash: log.rootHash, note });
    return note;
  }
}
