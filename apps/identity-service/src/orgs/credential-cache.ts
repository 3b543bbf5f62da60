import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PgListeners, type PgListener } from '../database/index.js';

/** NOTIFY channel of credential changes (database trigger): payload `<table>:<hex token hash>`. */
export const CREDENTIAL_CHANNEL = 'mlsid_credential_changed';

export type CredentialTable = 'scim_token' | 'ds_client' | 'auditor_token';

/** A backstop for the NOTIFY-based invalidation; revocations reach every replica on commit. */
const TTL_MS = 60_000;
const MAX_ENTRIES = 100_000;

interface Entry<T> {
  value: T;
  until: number;
}

/**
 * Resolved bearer tokens, so an authenticated request costs no database round trip. Only live
 * tokens are cached (a wrong token always asks the database, so guessing cannot fill memory
 * with misses). A row change that could alter a resolution (revocation, deletion, a new hash or
 * org) is notified by a trigger when it commits, whoever made it, and every replica drops the
 * entry; while the LISTEN connection is down nothing is served from or stored in the cache, and
 * the whole cache is dropped when it comes back, since notifications in between are lost.
 */
@Injectable()
export class CredentialCache implements OnApplicationBootstrap {
  private readonly log = new Logger(CredentialCache.name);
  private readonly entries = new Map<string, Entry<unknown>>();
  /** Bumped by every notification: a load that overlapped one may have read the old row. */
  private generation = 0;
  private listener: PgListener | undefined;

  constructor(private readonly listeners: PgListeners) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listener = await this.listeners.open({
      channels: [CREDENTIAL_CHANNEL],
      onNotification: (_channel, key) => {
        this.generation++;
        this.entries.delete(key);
      },
      onReconnect: () => {
        this.log.warn('credential listener reconnected; clearing the credential cache');
        this.generation++;
        this.entries.clear();
      },
    });
  }

  /**
   * The cached resolution of the token whose SHA-256 is `hash`, else `load()`'s, remembered when
   * it found a live token and no change was notified while it ran.
   */
  async resolve<T>(table: CredentialTable, hash: Buffer, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const key = `${table}:${hash.toString('hex')}`;
    const trusted = this.listener?.connected === true;
    if (trusted) {
      const hit = this.entries.get(key);
      if (hit && hit.until > Date.now()) return hit.value as T;
    }
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && trusted && this.listener?.connected && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, until: Date.now() + TTL_MS });
    }
    return value;
  }
}
