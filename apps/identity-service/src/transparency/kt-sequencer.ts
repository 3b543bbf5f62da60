import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { MerkleTreeBuilder, type SubtreeHash } from '#tlog';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { PollingLoop } from '../common/polling-loop.js';
import { inSpan } from '../common/tracing/index.js';
import { Metrics } from '../metrics/index.js';
import { countPending, deletePending, insertEntries, loggedSources, orgsWithPending, pendingBatch } from './kt-entry.queries.js';
import { updateLogHead } from './kt-log.queries.js';
import { KtReadCache } from './kt-read-cache.js';
import { KtLogGuard } from './kt-log-guard.js';
import { KtLogs } from './kt-logs.service.js';
import { insertSubtrees } from './kt-subtree.queries.js';
import { postgresHashReader } from './postgres-hash-reader.js';

/**
 * Advisory-lock namespace ("kt") of the per-log sequencer lock; the second key is
 * hashtext(org id). Transaction-scoped: it is held exactly as long as one batch, and a
 * sequencer that dies (its session ends) releases it with its uncommitted batch.
 */
export const KT_SEQUENCER_LOCK_CLASS = 0x6b74;

export interface SequencedBatch {
  orgId: string;
  /** Tree size before and after the batch. */
  from: number;
  to: number;
  /** The checkpoint the batch signed (absent when it appended nothing). */
  published?: { origin: string; note: string };
}

/**
 * Gives staged kt.append events their log indexes. Any number of replicas run it; for each
 * log, one batch at a time holds that log's advisory lock, so the log stays linear. A batch
 * is one transaction: the entries, every complete-subtree hash they finish, the new size and
 * root, and a checkpoint signed over them commit together, and the staged rows go with them.
 * If the sequencer dies mid-batch, nothing of the batch is visible and the staged rows are
 * still there for whichever replica takes the lock next.
 */
@Injectable()
export class KtSequencer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(KtSequencer.name);
  private readonly loop: PollingLoop;
  private readonly appended: Counter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logs: KtLogs,
    private readonly guard: KtLogGuard,
    private readonly readCache: KtReadCache,
    metrics: Metrics,
  ) {
    this.loop = new PollingLoop(
      () => this.sequencePending(),
      () => this.config.kt.sequencerPollMs,
      (e) => this.log.error(`sequencing failed: ${e.message}`),
    );
    const registers = [metrics.registry];
    this.appended = new Counter({ name: 'kt_entries_appended_total', help: 'key-transparency entries given an index', registers });
    const sequencer = this;
    new Gauge({
      name: 'kt_pending_entries',
      help: 'kt.append events staged and waiting for an index',
      registers,
      async collect() {
        this.set(await countPending(sequencer.dataSource));
      },
    });
  }

  onApplicationBootstrap(): void {
    if (process.env.KT_SEQUENCER === 'off') return;
    this.start();
  }

  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** One batch for every log with staged events; returns how many entries were appended. */
  async sequencePending(): Promise<number> {
    const orgs = await orgsWithPending(this.dataSource);
    let total = 0;
    for (const orgId of orgs) {
      const batch = await this.sequenceBatch(orgId);
      if (batch) total += batch.to - batch.from;
    }
    return total;
  }

  /**
   * Appends up to KT_BATCH_SIZE staged events of one org's log. Returns null when another
   * sequencer holds the log right now (it will take these events) or when the log in the
   * database does not extend a checkpoint already published (KtLogGuard: signing on would fork
   * it), or the batch appended.
   */
  async sequenceBatch(orgId: string): Promise<SequencedBatch | null> {
    return inSpan('kt.sequence', { 'kt.org_id': orgId }, async (span) => {
      const batch = await this.sequenceInTransaction(orgId);
      if (batch) span.setAttributes({ 'kt.from': batch.from, 'kt.to': batch.to });
      else span.setAttribute('kt.skipped', 'log held by another sequencer');
      return batch;
    });
  }

  private async sequenceInTransaction(orgId: string): Promise<SequencedBatch | null> {
    const batch = await this.dataSource.transaction(async (m) => {
      const [{ locked }] = await m.query(`SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked`, [KT_SEQUENCER_LOCK_CLASS, orgId]);
      if (!locked) return null;
      const log = await this.logs.ensure(orgId, m);
      if (await this.guard.check(m, log)) return null;
      const batchRows = await pendingBatch(m, orgId, this.config.kt.batchSize);
      if (batchRows.length === 0) return { orgId, from: log.size, to: log.size };
      // Belt and braces for idempotence: an event whose source is already in the log is dropped.
      const already = await loggedSources(
        m,
        batchRows.map((p) => p.sourceId),
      );
      const pending = batchRows.filter((p) => !already.has(p.sourceId));
      if (pending.length === 0) {
        await deletePending(
          m,
          batchRows.map((p) => p.id),
        );
        return { orgId, from: log.size, to: log.size };
      }
      const builder = await MerkleTreeBuilder.resume(log.size, postgresHashReader(m, orgId));
      const finished: SubtreeHash[] = [];
      for (const row of pending) finished.push(...builder.appendEntry(new Uint8Array(row.entry)));
      await insertEntries(m, orgId, log.size, pending);
      await insertSubtrees(m, orgId, finished);
      const next = { ...log, size: builder.size, rootHash: builder.root() };
      await updateLogHead(m, orgId, next.size, next.rootHash);
      const note = await this.logs.signAndStoreCheckpoint(m, next);
      await deletePending(
        m,
        batchRows.map((p) => p.id),
      );
      return { orgId, from: log.size, to: next.size, published: { origin: log.origin, note } };
    });
    if (batch) this.appended.inc(batch.to - batch.from);
    // Readers of this replica see the new checkpoint at once; the others on the trigger's NOTIFY.
    if (batch && batch.to !== batch.from) this.readCache.forget(orgId);
    // Only after the commit: a witnessed checkpoint that never committed would refuse a good log.
    if (batch?.published) await this.guard.published(batch.published.origin, batch.to, batch.published.note);
    return batch;
  }
}
