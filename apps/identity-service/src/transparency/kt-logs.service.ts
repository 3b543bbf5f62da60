import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, createPublicKey } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ed25519NoteSigner, emptyTreeHash, formatEd25519VerifierKey, signCheckpoint, signKeyRotation, signNote, type NoteSigner } from '#tlog';
import { AuditService } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { KEY_STORE, type KeyStore } from '../keys/index.js';
import { OrgsService, type Org } from '../orgs/index.js';
import { OutboxService } from '../outbox/index.js';
import { ktAppend } from './kt-event.js';
import {
  findLog,
  finishKeyRotations,
  insertCheckpoint,
  insertKeyRotation,
  insertLog,
  keyRotations,
  promoteNextKey,
  startKeyOverlap,
  type KeyRotationRow,
  type LogState,
} from './kt-log.queries.js';
import { TransparencyErrors } from './transparency.errors.js';
import { logOrigin } from './log-origin.js';
import type { Querier } from './postgres-hash-reader.js';

export type { LogState } from './kt-log.queries.js';

export const KT_LOG_KEY_PURPOSE = 'kt-log';
/** How long both keys sign when the admin names no overlap, and the longest allowed. */
export const DEFAULT_LOG_KEY_OVERLAP_SECONDS = 7 * 86_400;
export const MAX_LOG_KEY_OVERLAP_SECONDS = 90 * 86_400;

export interface LogKeyRotationResult {
  origin: string;
  previousKey: string;
  newKey: string;
  overlapUntil: string;
  statement: string;
}

/** Whether `log` is inside a rotation's overlap (both keys sign) at `now`. */
function inOverlap(log: LogState, now = Date.now()): boolean {
  return !!log.nextKeyId && !!log.overlapUntil && log.overlapUntil.getTime() > now;
}

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
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
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

  /** The verifier key `origin+keyid+base64(0x01 ‖ key)` of one of the log's keys. */
  async verifierKeyOf(log: Pick<LogState, 'origin'>, keyId: string, m?: EntityManager): Promise<string> {
    return formatEd25519VerifierKey(log.origin, await this.publicKey(keyId, m));
  }

  /** GET /kt/{org}/key: the key that signs checkpoints now, then (during a rotation's overlap) the new one. */
  async verifierKeys(log: LogState): Promise<string[]> {
    if (!log.nextKeyId) return [await this.verifierKeyOf(log, log.keyId)];
    if (!inOverlap(log)) return [await this.verifierKeyOf(log, log.nextKeyId)];
    return [await this.verifierKeyOf(log, log.keyId), await this.verifierKeyOf(log, log.nextKeyId)];
  }

  /** The first verifier key (the one every current checkpoint carries a signature of). */
  async verifierKey(log: LogState): Promise<string> {
    return this.verifierKeyOf(log, log.nextKeyId && !inOverlap(log) ? log.nextKeyId : log.keyId);
  }

  private async signer(log: Pick<LogState, 'origin'>, keyId: string, m: EntityManager): Promise<NoteSigner> {
    return ed25519NoteSigner(log.origin, await this.publicKey(keyId, m), (message) => this.keys.sign(keyId, message, {}, m));
  }

  /**
   * The keys that sign now: during an overlap the old and the new key; once the overlap has
   * passed, the new key is promoted (in `m`, the sequencer's transaction) and signs alone.
   */
  private async signers(m: EntityManager, log: LogState): Promise<NoteSigner[]> {
    if (log.nextKeyId && !inOverlap(log)) {
      await promoteNextKey(m, log.orgId);
      return [await this.signer(log, log.nextKeyId, m)];
    }
    const signers = [await this.signer(log, log.keyId, m)];
    if (log.nextKeyId) signers.push(await this.signer(log, log.nextKeyId, m));
    return signers;
  }

  /** Signs the checkpoint of `log` as it is now and stores it, in the caller's transaction. */
  async signAndStoreCheckpoint(m: EntityManager, log: LogState): Promise<string> {
    const note = await signCheckpoint({ origin: log.origin, size: log.size, rootHash: log.rootHash, extensions: [] }, await this.signers(m, log));
    await insertCheckpoint(m, log.orgId, { size: log.size, rootHash: log.rootHash, note });
    return note;
  }

  /**
   * Signs `text` as a c2sp.org/signed-note with the keys that sign checkpoints now (both
   * during a rotation's overlap), so whatever verifies the org's checkpoints verifies it.
   */
  async signNote(orgId: string, text: string): Promise<{ note: string; verifierKeys: string[]; origin: string }> {
    const log = await this.ensure(orgId);
    const keyIds = !log.nextKeyId ? [log.keyId] : inOverlap(log) ? [log.keyId, log.nextKeyId] : [log.nextKeyId];
    const signers = await Promise.all(
      keyIds.map(async (keyId) => ed25519NoteSigner(log.origin, await this.publicKey(keyId), (message) => this.keys.sign(keyId, message))),
    );
    return { note: await signNote(text, signers), verifierKeys: await this.verifierKeys(log), origin: log.origin };
  }

  /**
   * Starts a log key rotation: a new Ed25519 key in custody, a rotation statement signed by
   * the old and the new key, both keys signing checkpoints until the overlap ends, and a
   * `log_key_rotated` log entry (signed into the next checkpoint by both keys).
   */
  async rotateKey(actor: string, orgId: string, overlapSeconds: number): Promise<LogKeyRotationResult> {
    await this.ensure(orgId);
    return this.dataSource.transaction(async (m) => {
      const log = (await findLog(m, orgId, { forUpdate: true }))!;
      if (log.nextKeyId && inOverlap(log)) {
        throw TransparencyErrors.error('log_key_rotation_in_progress', 'a log key rotation is in its overlap; finish it first', {
          overlapUntil: log.overlapUntil!.toISOString(),
        });
      }
      // an overlap that passed without a checkpoint: the new key becomes current first
      if (log.nextKeyId) {
        await promoteNextKey(m, orgId);
        log.keyId = log.nextKeyId;
      }
      const next = await this.keys.generate(orgId, KT_LOG_KEY_PURPOSE, 'Ed25519', m);
      const overlapUntil = new Date(Date.now() + overlapSeconds * 1000);
      const rotation = { origin: log.origin, oldKey: await this.verifierKeyOf(log, log.keyId, m), newKey: await this.verifierKeyOf(log, next.id, m) };
      const statement = await signKeyRotation(rotation, await this.signer(log, log.keyId, m), await this.signer(log, next.id, m));
      await insertKeyRotation(m, orgId, { fromKeyId: log.keyId, toKeyId: next.id, statement, actor, overlapUntil });
      await startKeyOverlap(m, orgId, next.id, overlapUntil);
      const now = new Date().toISOString();
      await this.outbox.enqueue(
        m,
        ktAppend({
          type: 'log_key_rotated',
          orgId,
          signatureKeySha256: createHash('sha256').update(next.publicKey).digest('hex'),
          reason: rotation.newKey,
          timestamp: now,
        }),
      );
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'kt_log.key_rotate',
        target: `kt_log:${orgId}`,
        details: { previousKey: rotation.oldKey, newKey: rotation.newKey, overlapUntil: overlapUntil.toISOString() },
      });
      return { ...rotation, previousKey: rotation.oldKey, overlapUntil: overlapUntil.toISOString(), statement };
    });
  }

  /**
   * Ends the overlap now: the new key signs alone from the next checkpoint, and the keys of
   * finished rotations are retired (after the commit: a rolled-back promotion keeps its key).
   */
  async finishKeyRotation(actor: string, orgId: string): Promise<{ verifierKeys: string[]; retiredKeys: number }> {
    const retired = await this.dataSource.transaction(async (m) => {
      const log = await findLog(m, orgId, { forUpdate: true });
      if (!log?.nextKeyId) {
        const open = await keyRotations(m, orgId);
        if (!open.some((r) => r.finishedAt === null)) throw TransparencyErrors.error('no_log_key_rotation', 'no log key rotation is in progress');
      }
      await promoteNextKey(m, orgId);
      const old = await finishKeyRotations(m, orgId);
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'kt_log.key_rotation_finish',
        target: `kt_log:${orgId}`,
        details: { retiredKeys: old.length },
      });
      return old;
    });
    for (const keyId of retired) await this.keys.retire(keyId);
    return { verifierKeys: await this.verifierKeys((await this.find(this.dataSource, orgId))!), retiredKeys: retired.length };
  }

  /** The log's rotation statements, oldest first. */
  async rotations(orgId: string): Promise<KeyRotationRow[]> {
    return keyRotations(this.dataSource, orgId);
  }
}
