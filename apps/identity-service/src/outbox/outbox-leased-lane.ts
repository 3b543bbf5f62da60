import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import { PollingLoop } from '../common/polling-loop.js';
import { retryDelayMs, type LaneOptions, type LeasedDelivery, type LeasedOutboxHandler, type LeaseOutcome } from './outbox-handler.js';

interface LeasedRow {
  id: string;
  org_id: string | null;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
  lane_key: string | null;
}

/** How long stop() waits for aborted calls to record their release. */
const STOP_WAIT_MS = 2000;

export interface LaneCounters {
  delivered: Counter;
  failures: Counter;
  dead: Counter;
}

/**
 * A lane of the outbox for handlers that call other systems. It never holds a transaction
 * across a call: it claims messages with a lease (token, expiry) and commits, makes the calls
 * concurrently, and records each outcome in a second short transaction that matches the
 * lease token. A replica that dies mid-call leaves a lease that expires, and the message is
 * claimed again by any replica (at least once). Per receiver key, at most
 * `perKeyConcurrency` calls are leased at a time across replicas, and a key that keeps
 * failing is held off (`outbox_lane_circuit`), so one dead receiver costs a few leases, not
 * the lane. The lane runs beside the transactional lane, which never waits for it.
 */
export class LeasedLane {
  private readonly log: Logger;
  private readonly handlers = new Map<string, LeasedOutboxHandler>();
  private readonly inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly loop: PollingLoop;

  constructor(
    private readonly dataSource: DataSource,
    readonly options: LaneOptions,
    pollMs: () => number,
    private readonly maxAttempts: () => number,
    private readonly counters: LaneCounters,
  ) {
    this.log = new Logger(`OutboxLane:${options.lane}`);
    this.loop = new PollingLoop(
      () => this.claimAndStart(),
      pollMs,
      (e) => this.log.error(`claim failed: ${e.message}`),
    );
  }

  add(topic: string, handler: LeasedOutboxHandler): void {
    this.handlers.set(topic, handler);
  }

  get isRunning(): boolean {
    return this.loop.isRunning;
  }

  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /**
   * Stops claiming and aborts the calls under way; their leases are released (without counting
   * an attempt) so another replica takes the messages at once instead of after the lease.
   */
  async stop(): Promise<void> {
    await this.loop.stop();
    for (const call of this.inFlight.values()) call.abort.abort(new Error('the worker is stopping'));
    // A handler that ignores the abort must not hold shutdown: its lease expires instead.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([Promise.all([...this.inFlight.values()].map((c) => c.done)), bound]);
    clearTimeout(timer);
  }

  /** Calls of this replica under way (tests and shutdown). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Waits until this replica's calls under way have been settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.race([...this.inFlight.values()].map((c) => c.done));
  }

  /** Claims what the limits allow and starts the calls; returns how many it claimed. */
  async claimAndStart(): Promise<number> {
    const room = this.options.maxInFlight - this.inFlight.size;
    if (room <= 0 || this.handlers.size === 0) return 0;
    const token = randomUUID();
    const rows = await this.claim(token, room);
    for (const row of rows) {
      const message: LeasedDelivery = {
        id: String(row.id),
        orgId: row.org_id,
        topic: row.topic,
        payload: row.payload,
        attempts: row.attempts,
        key: row.lane_key,
      };
      const abort = new AbortController();
      const done = this.run(message, token, abort.signal).finally(() => {
        this.inFlight.delete(message.id);
        this.loop.nudge();
      });
      this.inFlight.set(message.id, { abort, done });
    }
    return rows.length;
  }

  /**
   * One short transaction. Claims are serialized per lane (advisory lock), so the per-key
   * count of live leases read here is exact across replicas.
   */
  private claim(token: string, limit: number): Promise<LeasedRow[]> {
    const { lane, leaseMs, perKeyConcurrency } = this.options;
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`outbox.lane:${lane}`]);
      return m.query(
        `WITH busy AS (
           SELECT lane_key, count(*)::int AS n FROM outbox
            WHERE topic = ANY($1) AND delivered_at IS NULL AND dead_at IS NULL AND leased_until > now()
            GROUP BY lane_key
         ), ready AS (
           SELECT o.id, o.lane_key, row_number() OVER (PARTITION BY o.lane_key ORDER BY o.id) AS rank
             FROM outbox o
            WHERE o.topic = ANY($1) AND o.delivered_at IS NULL AND o.dead_at IS NULL AND o.available_at <= now()
              AND (o.leased_until IS NULL OR o.leased_until <= now())
              AND NOT EXISTS (SELECT 1 FROM outbox_lane_circuit c
                               WHERE c.lane = $2 AND c.key = COALESCE(o.lane_key, '') AND c.open_until > now())
         ), picked AS (
           SELECT r.id FROM ready r LEFT JOIN busy b ON b.lane_key IS NOT DISTINCT FROM r.lane_key
            WHERE r.rank <= $3 - COALESCE(b.n, 0)
            ORDER BY r.id LIMIT $4
         ), claimed AS (
           UPDATE outbox SET lease_token = $5, leased_until = now() + ($6::int * interval '1 millisecond')
            WHERE id IN (SELECT id FROM picked)
           RETURNING id, org_id, topic, payload, attempts, lane_key
         )
         SELECT * FROM claimed ORDER BY id`,
        [[...this.handlers.keys()], lane, perKeyConcurrency, limit, token, leaseMs],
      );
    });
  }

  private async run(message: LeasedDelivery, token: string, signal: AbortSignal): Promise<void> {
    const handler = this.handlers.get(message.topic)!;
    let outcome: LeaseOutcome;
    try {
      outcome = { ok: true, result: await handler.call(message, signal) };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      outcome = { ok: false, error, givingUp: message.attempts + 1 >= this.maxAttempts() };
    }
    try {
      if (signal.aborted) await this.release(message, token);
      else await this.record(message, token, outcome, handler);
    } catch (e) {
      // The lease expires and the message is claimed again: nothing is lost, at worst repeated.
      this.log.error(`${message.topic} #${message.id}: recording the outcome failed: ${(e as Error).message}`);
    }
  }

  private async release(message: LeasedDelivery, token: string): Promise<void> {
    await this.dataSource.query(`UPDATE outbox SET lease_token = NULL, leased_until = NULL WHERE id = $1 AND lease_token = $2`, [message.id, token]);
  }

  private async record(message: LeasedDelivery, token: string, outcome: LeaseOutcome, handler: LeasedOutboxHandler): Promise<void> {
    const { lane, circuitAfterFailures } = this.options;
    const key = message.key ?? '';
    const held = await this.dataSource.transaction(async (m) => {
      const [row] = await m.query(`SELECT attempts FROM outbox WHERE id = $1 AND lease_token = $2 FOR UPDATE`, [message.id, token]);
      if (!row) return false;
      if (outcome.ok) {
        await m.query(
          `UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, last_attempt_at = now(), last_error = NULL,
                  lease_token = NULL, leased_until = NULL WHERE id = $1`,
          [message.id],
        );
        await m.query(`DELETE FROM outbox_lane_circuit WHERE lane = $1 AND key = $2`, [lane, key]);
      } else {
        const attempts = row.attempts + 1;
        await m.query(
          `UPDATE outbox SET attempts = $2, last_error = $3, last_attempt_at = now(),
                  available_at = now() + ($4::int * interval '1 millisecond'),
                  dead_at = CASE WHEN $5 THEN now() ELSE NULL END, lease_token = NULL, leased_until = NULL
            WHERE id = $1`,
          [message.id, attempts, outcome.error.message.slice(0, 1000), retryDelayMs(attempts), outcome.givingUp],
        );
        // After `circuitAfterFailures` failures in a row the key is held off, for longer each time.
        const [circuit] = await m.query(
          `INSERT INTO outbox_lane_circuit (lane, key, failures) VALUES ($1, $2, 1)
           ON CONFLICT (lane, key) DO UPDATE SET failures = outbox_lane_circuit.failures + 1
           RETURNING failures`,
          [lane, key],
        );
        const over = circuit.failures - circuitAfterFailures + 1;
        if (over > 0) {
          await m.query(`UPDATE outbox_lane_circuit SET open_until = now() + ($3::int * interval '1 millisecond') WHERE lane = $1 AND key = $2`, [
            lane,
            key,
            retryDelayMs(over),
          ]);
        }
      }
      await handler.settle?.(message, outcome, m);
      return true;
    });
    if (!held) {
      this.log.warn(`${message.topic} #${message.id}: the lease ran out before the call ended; another claim records it`);
      return;
    }
    if (outcome.ok) this.counters.delivered.inc({ topic: message.topic });
    else {
      this.counters.failures.inc({ topic: message.topic });
      if (outcome.givingUp) this.counters.dead.inc({ topic: message.topic });
      this.log.warn(`outbox ${message.topic} #${message.id} attempt ${message.attempts + 1} failed: ${outcome.error.message}`);
    }
  }
}
