import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  decodeKeyEvent,
  encodeEntryBundle,
  encodeTile,
  entryBundleWidth,
  generateConsistencyProof,
  generateInclusionProof,
  parseTilePath,
  tileSubtrees,
  TilePathMalformed,
  tileWidth,
  TreeRangeInvalid,
  type EntryBundleCoordinate,
  type KeyEvent,
  type Tile,
} from '#tlog';
import { entityTag } from '../common/http-validators.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { OutboxService } from '../outbox/index.js';
import { accountEntries, certificateEntries, entriesInRange, entryIndexBySource, isStaged } from './kt-entry.queries.js';
import { KT_APPEND_TOPIC } from './kt-event.js';
import { latestCheckpoint } from './kt-log.queries.js';
import { KtLogs, type LogState } from './kt-logs.service.js';
import { KtReadCache, type ServedBody, type ServedTile } from './kt-read-cache.js';
import { levelHashes } from './kt-subtree.queries.js';
import { postgresHashReader } from './postgres-hash-reader.js';
import { TransparencyErrors } from './transparency.errors.js';

export interface LatestCheckpoint {
  size: number;
  rootHash: Uint8Array;
  note: string;
}

export interface HistoryEntry {
  index: number;
  event: KeyEvent;
  entry: Uint8Array;
  inclusionProof: Uint8Array[];
}

/** Where a staged event stands: sequenced (with its index), staged, or unknown to the log. */
export type EntryStatus = { status: 'sequenced'; index: number } | { status: 'pending' } | { status: 'unknown' };

/**
 * Everything readers get from a log: the latest checkpoint, tiles and entry bundles
 * (c2sp.org/tlog-tiles), RFC 9162 proofs and account histories, all from the stored
 * complete-subtree hashes. Sizes beyond the latest checkpoint are refused: what is served
 * can always be checked against a signed checkpoint.
 */
@Injectable()
export class KtReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly logs: KtLogs,
    private readonly outbox: OutboxService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: KtReadCache,
  ) {}

  log(orgId: string): Promise<LogState> {
    return this.logs.ensure(orgId);
  }

  async latestCheckpoint(orgId: string): Promise<LatestCheckpoint> {
    await this.logs.ensure(orgId);
    return (await latestCheckpoint(this.dataSource, orgId))!;
  }

  /** The latest checkpoint's signed note as served to readers, from memory while it is the latest. */
  servedCheckpoint(orgId: string): Promise<ServedBody<string>> {
    return this.cache.checkpoint(orgId, async () => (await this.latestCheckpoint(orgId)).note);
  }

  /**
   * tilePath's answer as served to readers. Hash tiles come from memory (full ones for good,
   * partial ones while current); entry bundles, 30 times larger, are read from the database
   * each time and only carry the validator.
   */
  async servedTile(orgId: string, relative: string): Promise<ServedTile> {
    if (relative.startsWith('tile/entries/')) {
      const bundle = await this.tilePath(orgId, relative);
      return { ...bundle, etag: entityTag(bundle.body) };
    }
    return this.cache.tile(orgId, relative, () => this.tilePath(orgId, relative));
  }

  /** The latest checkpoint's size: kt_log.size, which the same transaction signs. */
  private async checkpointSize(orgId: string): Promise<number> {
    return (await this.logs.ensure(orgId)).size;
  }

  /** The tile body, or null when the latest checkpoint's tree has no such tile (yet). */
  async tile(orgId: string, tile: Tile): Promise<Uint8Array | null> {
    if (tile.width > tileWidth(await this.checkpointSize(orgId), tile.level, tile.index)) return null;
    const first = tileSubtrees(tile)[0]!;
    const hashes = await levelHashes(this.dataSource, orgId, first.level, first.index, tile.width);
    if (hashes.length !== tile.width) return null;
    return encodeTile(hashes);
  }

  async entryBundle(orgId: string, bundle: EntryBundleCoordinate): Promise<Uint8Array | null> {
    if (bundle.width > entryBundleWidth(await this.checkpointSize(orgId), bundle.index)) return null;
    const first = bundle.index * 256;
    const entries = await entriesInRange(this.dataSource, orgId, first, first + bundle.width);
    if (entries.length !== bundle.width) return null;
    return encodeEntryBundle(entries.map((e) => e.entry));
  }

  /**
   * A c2sp.org/tlog-tiles path (`tile/…`) as the tile or entry bundle it names, with its width
   * (full ones never change); tile_not_found beyond the latest checkpoint.
   */
  async tilePath(orgId: string, relative: string): Promise<{ body: Uint8Array; width: number }> {
    let parsed;
    try {
      parsed = parseTilePath(relative);
    } catch (e) {
      if (e instanceof TilePathMalformed) throw TransparencyErrors.error('tile_path_malformed', `${relative}: ${e.message}`);
      throw e;
    }
    const body = parsed.kind === 'tile' ? await this.tile(orgId, parsed.tile) : await this.entryBundle(orgId, parsed.bundle);
    if (!body) throw TransparencyErrors.error('tile_not_found', `${relative} is not in the log yet`);
    return { body, width: parsed.kind === 'tile' ? parsed.tile.width : parsed.bundle.width };
  }

  /** RFC 9162 §2.1.3.1; tree_range_invalid when index ≥ size or size is past the latest checkpoint. */
  async inclusionProof(orgId: string, index: number, size: number): Promise<Uint8Array[]> {
    const latest = await this.checkpointSize(orgId);
    if (size > latest) throw rangeInvalid(`size ${size} is beyond the latest checkpoint (${latest})`);
    return generateInclusionProof(index, size, postgresHashReader(this.dataSource, orgId)).catch(asRangeError);
  }

  /** RFC 9162 §2.1.4.1; tree_range_invalid when from > to or to is past the latest checkpoint. */
  async consistencyProof(orgId: string, from: number, to: number): Promise<Uint8Array[]> {
    const latest = await this.checkpointSize(orgId);
    if (to > latest) throw rangeInvalid(`size ${to} is beyond the latest checkpoint (${latest})`);
    return generateConsistencyProof(from, to, postgresHashReader(this.dataSource, orgId)).catch(asRangeError);
  }

  /** Every entry naming the account, oldest first, each with its proof against `checkpoint`. */
  async accountHistory(orgId: string, accountId: string): Promise<{ checkpoint: LatestCheckpoint; entries: HistoryEntry[] }> {
    const checkpoint = await this.latestCheckpoint(orgId);
    const reader = postgresHashReader(this.dataSource, orgId);
    const entries: HistoryEntry[] = [];
    for (const { index, entry } of await accountEntries(this.dataSource, orgId, accountId, checkpoint.size)) {
      entries.push({ index, entry, event: decodeKeyEvent(entry), inclusionProof: await generateInclusionProof(index, checkpoint.size, reader) });
    }
    return { checkpoint, entries };
  }

  /**
   * Where the entry of outbox message `sourceId` stands. An index is reported only once a
   * checkpoint covers it (the batch that assigns it also signs that checkpoint).
   */
  async entryBySource(orgId: string, sourceId: string): Promise<EntryStatus> {
    // Asked in the order an event moves (outbox, staged, logged), so one that moves on between
    // the questions is still seen somewhere.
    const queued = (await this.outbox.isLive(sourceId, orgId, KT_APPEND_TOPIC)) || (await isStaged(this.dataSource, orgId, sourceId));
    const index = await entryIndexBySource(this.dataSource, orgId, sourceId);
    if (index !== null) return { status: 'sequenced', index };
    return queued ? { status: 'pending' } : { status: 'unknown' };
  }

  /** As entryBySource, with entry_not_found for a message the log never heard of. */
  async requireEntryBySource(orgId: string, sourceId: string): Promise<Exclude<EntryStatus, { status: 'unknown' }>> {
    const status = await this.entryBySource(orgId, sourceId);
    if (status.status === 'unknown') throw TransparencyErrors.error('entry_not_found', `no log entry from outbox message ${sourceId}`);
    return status;
  }

  /** Indexes of the entries about a certificate (issuance, renewal, revocation), oldest first. */
  async entriesByCertificate(orgId: string, certificateSha256: Uint8Array): Promise<{ index: number; event: KeyEvent }[]> {
    return (await certificateEntries(this.dataSource, orgId, certificateSha256)).map((e) => ({ index: e.index, event: decodeKeyEvent(e.entry) }));
  }

  /**
   * For enrollment, renewal and revocation responses: waits (default 1 s, the sequencing
   * promise) for the certificate's entry of `type` to be sequenced; null if it is not yet.
   */
  async awaitCertificateEntry(orgId: string, certificateSha256: Uint8Array, type: KeyEvent['type'], timeoutMs = 1000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.entriesByCertificate(orgId, certificateSha256)).find((e) => e.event.type === type);
      if (found) return found.index;
      if (Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * What enrollment, renewal and revocation responses carry about their log entry: its index
   * if already sequenced (waiting up to KT_RECEIPT_WAIT_MS, default 0: holding requests open
   * for the sequencer costs throughput), else the lookup path, which resolves within a second.
   * Call after commit.
   */
  async receipt(
    org: { id: string; slug: string },
    certificateSha256Hex: string,
    type: KeyEvent['type'],
    timeoutMs = this.config.kt.receiptWaitMs,
  ): Promise<TransparencyReceipt> {
    // Without a wait the entry cannot be sequenced yet (it was enqueued by the caller's
    // just-committed transaction): skip the lookup.
    const index = timeoutMs > 0 ? await this.awaitCertificateEntry(org.id, Buffer.from(certificateSha256Hex, 'hex'), type, timeoutMs) : null;
    if (index !== null) return { status: 'sequenced', index };
    return { status: 'pending', lookup: `/kt/${org.slug}/entries/by-certificate/${certificateSha256Hex}` };
  }
}

const rangeInvalid = (message: string) => TransparencyErrors.error('tree_range_invalid', message);

function asRangeError(e: unknown): never {
  if (e instanceof TreeRangeInvalid) throw rangeInvalid(e.message);
  throw e;
}

export type TransparencyReceipt = { status: 'sequenced'; index: number } | { status: 'pending'; lookup: string };
