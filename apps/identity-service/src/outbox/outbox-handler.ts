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
