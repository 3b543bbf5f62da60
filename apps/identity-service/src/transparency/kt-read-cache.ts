import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { entityTag } from '../common/http-validators.js';
import { PgListeners, type PgListener } from '../database/index.js';

/** NOTIFY channel of log head changes (database trigger on kt_log and kt_checkpoint); payload the org id. */
export const KT_LOG_CHANNEL = 'mlsid_kt_log_changed';

/** What readers are served, with its entity tag. */
export interface ServedBody<T extends string | Uint8Array> {
  body: T;
  etag: string;
}

export type ServedTile = ServedBody<Uint8Array> & { width: number };

/** Bytes of full tiles kept (a hash tile is 8 KiB: 2,048 of them), oldest dropped first. */
const MAX_FULL_BYTES = 16 * 2 ** 20;

/**
 * The hot reads of the key-transparency API kept in memory: each log's latest checkpoint and
 * its partial tiles until the log's head changes (a trigger notifies every replica when the
 * change commits, and the sequencer of this replica drops them as soon as it commits), and
 * full tiles for good, since they never change. Nothing that can change is
 * served from memory while the LISTEN connection is down, and it is all dropped when the
 * connection comes back, since notifications in between are lost.
 */
@Injectable()
export class KtReadCache implements OnApplicationBootstrap {
  private readonly log = new Logger(KtReadCache.name);
  private readonly checkpoints = new Map<string, ServedBody<string>>();
  /** Partial tiles and bundles, by org, then path. */
  private readonly partial = new Map<string, Map<string, ServedTile>>();
  private readonly full = new Map<string, ServedTile>();
  private fullBytes = 0;
  /** Bumped by every change: a load that overlapped one may have read the old head. */
  private generation = 0;
  private listener: PgListener | undefined;

  constructor(private readonly listeners: PgListeners) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listener = await this.listeners.open({
      channels: [KT_LOG_CHANNEL],
      onNotification: (_channel, orgId) => this.forget(orgId),
      onReconnect: () => {
        this.log.warn('log listener reconnected; clearing cached checkpoints');
        this.generation++;
        this.checkpoints.clear();
        this.partial.clear();
      },
    });
  }

  /** The org's log head changed: its checkpoint and partial tiles are stale. */
  forget(orgId: string): void {
    this.generation++;
    this.checkpoints.delete(orgId);
    this.partial.delete(orgId);
  }

  async checkpoint(orgId: string, load: () => Promise<string>): Promise<ServedBody<string>> {
    const trusted = this.listener?.connected === true;
    const hit = trusted ? this.checkpoints.get(orgId) : undefined;
    if (hit) return hit;
    const generation = this.generation;
    const body = await load();
    const served = { body, etag: entityTag(body) };
    if (trusted && this.listener?.connected && generation === this.generation) this.checkpoints.set(orgId, served);
    return served;
  }

  /** A hash tile by its path, with its width (256: full, and so final). */
  async tile(orgId: string, path: string, load: () => Promise<{ body: Uint8Array; width: number }>): Promise<ServedTile> {
    const key = `${orgId}:${path}`;
    const full = this.full.get(key);
    if (full) return full;
    const trusted = this.listener?.connected === true;
    const hit = trusted ? this.partial.get(orgId)?.get(path) : undefined;
    if (hit) return hit;
    const generation = this.generation;
    const { body, width } = await load();
    const served = { body, width, etag: entityTag(body) };
    if (width === 256) {
      for (const [oldest, tile] of this.full) {
        if (this.fullBytes + body.length <= MAX_FULL_BYTES) break;
        this.full.delete(oldest);
        this.fullBytes -= tile.body.length;
      }
      if (!this.full.has(key)) this.fullBytes += body.length;
      this.full.set(key, served);
    } else if (trusted && this.listener?.connected && generation === this.generation) {
      let tiles = this.partial.get(orgId);
      if (!tiles) this.partial.set(orgId, (tiles = new Map()));
      tiles.set(path, served);
    }
    return served;
  }
}
