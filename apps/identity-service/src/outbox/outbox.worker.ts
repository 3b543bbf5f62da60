import { trace } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { PollingLoop } from '../common/polling-loop.js';
import { inSpan } from '../common/tracing/index.js';
import { Metrics } from '../metrics/index.js';
import { retryDelayMs, type OutboxBatchHandler, type OutboxDelivery, type OutboxHandler } from './outbox-handler.js';

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
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(OutboxWorker.name);
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly batchHandlers = new Map<string, OutboxBatchHandler>();
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
  }

  register(topic: string, handler: OutboxHandler): void {
    if (this.handlers.has(topic) || this.batchHandlers.has(topic)) throw new Error(`outbox topic ${topic} already has a handler`);
    this.handlers.set(topic, handler);
  }

  /** For high-volume topics: one call per claimed batch instead of one per message. */
  registerBatch(topic: string, handler: OutboxBatchHandler): void {
    if (this.handlers.has(topic) || this.batchHandlers.has(topic)) throw new Error(`outbox topic ${topic} already has a handler`);
    this.batchHandlers.set(topic, handler);
  }

  onApplicationBootstrap(): void {
    if (process.env.OUTBOX_WORKER === 'off') return;
    this.start();
  }

  start(): void {
    this.loop.start();
  }

  /** Lets a writer that just committed skip the poll interval. */
  nudge(): void {
    this.loop.nudge();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Claims and handles one batch; returns how many messages it handled. */
  async deliverBatch(): Promise<number> {
    const topics = [...new Set([...this.handlers.keys(), ...this.batchHandlers.keys()])];
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
    for (const [topic, handler] of this.batchHandlers) {
      const batch = messages.filter((msg) => msg.topic === topic);
      if (batch.length === 0) continue;
      if (await this.attempt(m, batch, () => handler(batch, m), false)) continue;
      pendingSingles.push(...batch);
    }
    for (const message of messages) {
      if (this.batchHandlers.has(message.topic) && !pendingSingles.includes(message)) continue;
      const single = this.handlers.get(message.topic);
      const run = single ? () => single(message, m) : () => this.batchHandlers.get(message.topic)!([message], m);
      await this.attempt(m, [message], run, true);
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
