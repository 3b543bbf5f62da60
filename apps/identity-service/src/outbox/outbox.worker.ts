import { trace } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { PollingLoop } from '../common/polling-loop.js';
import { inSpan } from '../common/tracing/index.js';
import { Metrics } from '../metrics/index.js';
import {
  retryDelayMs,
  type LaneOptions,
  type LeasedOutboxHandler,
  type OutboxBatchHandler,
  type OutboxDelivery,
  type OutboxHandler,
} from './outbox-handler.js';
import { LeasedLane } from './outbox-leased-lane.js';

interface ClaimedRow {
  id: string;
  org_id: string | null;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Delivers outbox messages to the handlers registered for their topics. Any number of
 * replicas may run it: rows are claimed with FOR UPDATE SKIP LOCKED inside a transaction,
 * so a row is handled by one worker at a time, and a worker that dies mid-delivery leaves
 * its transaction to roll back: the row is claimed again, never lost.
 *
 * That transactional lane is for database work only (KT staging, CRL marks, removal
 * planning). Topics whose handlers call other systems are registered with `registerLeased`
 * and run in their own leased lanes (LeasedLane), which hold no transaction across a call.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(OutboxWorker.name);
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly batchHandlers = new Map<string, OutboxBatchHandler>();
  private readonly observers = new Map<string, OutboxBatchHandler[]>();
  private readonly lanes = new Map<string, LeasedLane>();
  private readonly leasedTopics = new Set<string>();
  private readonly loop: PollingLoop;
  private readonly delivered: Counter;
  private readonly failures: Counter;
  private readonly dead: Counter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: Metrics,
  ) {
    this.loop = new PollingLoop(
      () => this.deliverBatch(),
      () => this.config.outbox.pollMs,
      (e) => this.log.error(`outbox batch failed: ${e.message}`),
    );
    const registers = [metrics.registry];
    this.delivered = new Counter({ name: 'outbox_delivered_total', help: 'outbox messages delivered', labelNames: ['topic'], registers });
    this.failures = new Counter({ name: 'outbox_failures_total', help: 'failed outbox delivery attempts', labelNames: ['topic'], registers });
    this.dead = new Counter({ name: 'outbox_dead_total', help: 'outbox messages given up after max attempts', labelNames: ['topic'], registers });
    const worker = this;
    // Registered with the registry, which keeps them; nothing here reads them.
    new Gauge({
      name: 'outbox_lag_seconds',
      help: 'age of the oldest undelivered outbox message',
      registers,
      async collect() {
        const [row] = await worker.dataSource.query(
          `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS lag
             FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL`,
        );
        this.set(Number(row.lag));
      },
    });
    new Gauge({
      name: 'outbox_pending',
      help: 'undelivered outbox messages',
      registers,
      async collect() {
        const [row] = await worker.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL`);
        this.set(row.n);
      },
    });
    new Gauge({
      name: 'outbox_lane_held_off',
      help: 'receivers a leased lane holds off after consecutive failures (open circuits)',
      labelNames: ['lane'],
      registers,
      async collect() {
        this.reset();
        const rows = await worker.dataSource.query(`SELECT lane, count(*)::int AS n FROM outbox_lane_circuit WHERE open_until > now() GROUP BY lane`);
        for (const row of rows) this.set({ lane: row.lane }, row.n);
      },
    });
    new Gauge({
      name: 'outbox_lane_in_flight',
      help: 'calls of this replica under way in each leased lane',
      labelNames: ['lane'],
      registers,
      collect() {
        for (const [name, lane] of worker.lanes) this.set({ lane: name }, lane.pending);
      },
    });
  }

  register(topic: string, handler: OutboxHandler): void {
    this.claimTopic(topic);
    this.handlers.set(topic, handler);
  }

  /** For high-volume topics: one call per claimed batch instead of one per message. */
  registerBatch(topic: string, handler: OutboxBatchHandler): void {
    this.claimTopic(topic);
    this.batchHandlers.set(topic, handler);
  }

  /**
   * A second consumer of a transactional topic, for database work only: it runs after the
   * topic's handler, under the same savepoint, so its writes commit with theirs and with the
   * delivered mark, or roll back and are retried with them.
   */
  observe(topic: string, handler: OutboxBatchHandler): void {
    if (this.leasedTopics.has(topic)) throw new Error(`outbox topic ${topic} is leased; observers are for transactional topics`);
    this.observers.set(topic, [...(this.observers.get(topic) ?? []), handler]);
  }

  /** A topic whose handler calls another system: handled in lane `options.lane`, under leases. */
  registerLeased(topic: string, handler: LeasedOutboxHandler, options: LaneOptions): void {
    this.claimTopic(topic);
    if (this.observers.has(topic)) throw new Error(`outbox topic ${topic} has observers; a leased topic cannot`);
    let lane = this.lanes.get(options.lane);
    if (!lane) {
      const counters = { delivered: this.delivered, failures: this.failures, dead: this.dead };
      lane = new LeasedLane(
        this.dataSource,
        options,
        () => this.config.outbox.pollMs,
        () => this.config.outbox.maxAttempts,
        counters,
      );
      this.lanes.set(options.lane, lane);
      if (this.loop.isRunning) lane.start();
    }
    lane.add(topic, handler);
    this.leasedTopics.add(topic);
  }

  /** A leased lane by name (operations and tests). */
  lane(name: string): LeasedLane | undefined {
    return this.lanes.get(name);
  }

  private claimTopic(topic: string): void {
    if (this.handlers.has(topic) || this.batchHandlers.has(topic) || this.leasedTopics.has(topic)) {
      throw new Error(`outbox topic ${topic} already has a handler`);
    }
  }

  onApplicationBootstrap(): void {
    if (process.env.OUTBOX_WORKER === 'off') return;
    this.start();
  }

  start(): void {
    this.loop.start();
    for (const lane of this.lanes.values()) lane.start();
  }

  /** Lets a writer that just committed skip the poll interval. */
  nudge(): void {
    this.loop.nudge();
    for (const lane of this.lanes.values()) lane.nudge();
  }

  async stop(): Promise<void> {
    await Promise.all([this.loop.stop(), ...[...this.lanes.values()].map((lane) => lane.stop())]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Claims and handles one batch of the transactional lane; returns how many messages it handled. */
  async deliverBatch(): Promise<number> {
    const topics = [...new Set([...this.handlers.keys(), ...this.batchHandlers.keys(), ...this.observers.keys()])];
    if (topics.length === 0) return 0;
    return this.dataSource.transaction(async (m) => {
      const rows: ClaimedRow[] = await m.query(
        `SELECT id, org_id, topic, payload, attempts FROM outbox
          WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= now() AND topic = ANY($1)
          ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [topics, this.config.outbox.batchSize],
      );
      if (rows.length === 0) return 0;
      // A span per batch that has work (empty polls stay untraced): handler queries nest in it.
      const attributes = { 'outbox.messages': rows.length, 'outbox.topics': [...new Set(rows.map((r) => r.topic))] };
      return inSpan('outbox.batch', attributes, () => this.handleClaimed(m, rows));
    });
  }

  /** The topic's handler, then its observers, on messages of that one topic. */
  private async consume(topic: string, batch: OutboxDelivery[], m: EntityManager): Promise<void> {
    const single = this.handlers.get(topic);
    if (single) for (const message of batch) await single(message, m);
    else await this.batchHandlers.get(topic)?.(batch, m);
    for (const observer of this.observers.get(topic) ?? []) await observer(batch, m);
  }

  private async handleClaimed(m: EntityManager, rows: ClaimedRow[]): Promise<number> {
    const messages = rows.map((row) => ({
      id: String(row.id),
      orgId: row.org_id,
      topic: row.topic,
      payload: row.payload,
      attempts: row.attempts,
    }));
    // Batch handlers get all their topic's messages at once (in id order); if that fails,
    // each message is retried alone so one bad message cannot hold the others back.
    const pendingSingles: OutboxDelivery[] = [];
    for (const topic of this.batchHandlers.keys()) {
      const batch = messages.filter((msg) => msg.topic === topic);
      if (batch.length === 0) continue;
      if (await this.attempt(m, batch, () => this.consume(topic, batch, m), false)) continue;
      pendingSingles.push(...batch);
    }
    for (const message of messages) {
      if (this.batchHandlers.has(message.topic) && !pendingSingles.includes(message)) continue;
      await this.attempt(m, [message], () => this.consume(message.topic, [message], m), true);
    }
    return rows.length;
  }

  /** Runs `fn` under a savepoint and marks `batch` delivered; on failure records it (if asked). */
  private async attempt(m: EntityManager, batch: OutboxDelivery[], fn: () => Promise<void>, recordFailure: boolean): Promise<boolean> {
    await m.query('SAVEPOINT outbox_message');
    try {
      await fn();
      await m.query('RELEASE SAVEPOINT outbox_message');
      await m.query(`UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, last_attempt_at = now() WHERE id = ANY($1::bigint[])`, [
        batch.map((b) => b.id),
      ]);
      for (const b of batch) this.delivered.inc({ topic: b.topic });
      return true;
    } catch (e) {
      await m.query('ROLLBACK TO SAVEPOINT outbox_message');
      if (!recordFailure) return false;
      const [message] = batch;
      const attempts = message.attempts + 1;
      const error = ((e as Error).message ?? String(e)).slice(0, 1000);
      const giveUp = attempts >= this.config.outbox.maxAttempts;
      await m.query(
        `UPDATE outbox SET attempts = $2, last_error = $3, last_attempt_at = now(),
                available_at = now() + ($4::int * interval '1 millisecond'),
                dead_at = CASE WHEN $5 THEN now() ELSE NULL END
          WHERE id = $1`,
        [message.id, attempts, error, retryDelayMs(attempts), giveUp],
      );
      this.failures.inc({ topic: message.topic });
      trace
        .getActiveSpan()
        ?.addEvent('outbox.failure', { 'outbox.topic': message.topic, 'outbox.id': message.id, 'outbox.attempts': attempts, 'outbox.dead': giveUp });
      if (giveUp) this.dead.inc({ topic: message.topic });
      this.log.warn(`outbox ${message.topic} #${message.id} attempt ${attempts} failed: ${error}`);
      return false;
    }
  }
}
