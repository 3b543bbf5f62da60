import type { EntityManager } from 'typeorm';

export interface OutboxDelivery {
  id: string;
  orgId: string | null;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/**
 * Consumes one topic. It runs inside the transaction that claimed the message, so database
 * effects made through `manager` commit together with the delivered mark (exactly once);
 * effects outside the database (HTTP) happen at least once and must be idempotent.
 */
export type OutboxHandler = (message: OutboxDelivery, manager: EntityManager) => Promise<void>;

/** Like OutboxHandler, for a whole batch of one topic; all of it commits or none. */
export type OutboxBatchHandler = (messages: OutboxDelivery[], manager: EntityManager) => Promise<void>;

/** Exponential backoff with full jitter, capped at 10 minutes. */
export function retryDelayMs(attempts: number, random = Math.random): number {
  const ceiling = Math.min(600_000, 1000 * 2 ** Math.min(attempts, 20));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** How a leased-lane call ended, as the handler's `settle` sees it. */
export type LeaseOutcome = { ok: true; result: unknown } | { ok: false; error: Error; givingUp: boolean };

/**
 * Consumes a topic whose handling calls another system (a webhook). `call` runs with no
 * transaction open, under a lease on the message; `settle` runs in the short transaction that
 * records the outcome, and only while this replica still holds the lease (a call that outlived
 * its lease is someone else's message by then). Effects happen at least once.
 */
export interface LeasedOutboxHandler {
  /** Resolves with what `settle` needs to record; throws on failure (retried with backoff). */
  call(message: LeasedDelivery, signal: AbortSignal): Promise<unknown>;
  settle?(message: LeasedDelivery, outcome: LeaseOutcome, manager: EntityManager): Promise<void>;
}

export interface LeasedDelivery extends OutboxDelivery {
  /** The receiver key the message was enqueued with (`OutboxEvent.key`). */
  key: string | null;
}

export interface LaneOptions {
  /** The lane's name; topics of one lane share its limits. */
  lane: string;
  /** How long a claim lasts: longer than the call's own timeout, so only a dead replica loses it. */
  leaseMs: number;
  /** Concurrent calls per receiver key, across all replicas. */
  perKeyConcurrency: number;
  /** Concurrent calls of this replica in the lane. */
  maxInFlight: number;
  /** Consecutive failures of a key after which the lane holds that key off (with backoff). */
  circuitAfterFailures: number;
}
