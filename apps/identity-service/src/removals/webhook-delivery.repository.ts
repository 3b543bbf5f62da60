import type { Querier } from './removal.repository.js';

/** An attempt the receiver answered with 2xx. */
export async function recordDelivered(db: Querier, id: string, statusCode: number | null): Promise<void> {
  await db.query(
    `UPDATE webhook_delivery SET status = 'delivered', attempts = attempts + 1, last_status_code = $2, last_error = NULL,
            last_attempt_at = now(), delivered_at = now() WHERE id = $1`,
    [id, statusCode],
  );
}

/** A failed attempt; `givingUp` marks the delivery failed (the outbox will not retry it). */
export async function recordFailedAttempt(
  db: Querier,
  id: string,
  attempt: { statusCode: number | null; error: string; givingUp: boolean },
): Promise<void> {
  await db.query(
    `UPDATE webhook_delivery SET attempts = attempts + 1, last_status_code = $2, last_error = $3, last_attempt_at = now(),
            status = CASE WHEN $4 THEN 'failed' ELSE status END WHERE id = $1`,
    [id, attempt.statusCode, attempt.error.slice(0, 500), attempt.givingUp],
  );
}
