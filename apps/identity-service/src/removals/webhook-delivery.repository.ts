import type { Querier } from './removal.repository.js';

/** A new pending message; false when one with this webhook-id exists already. */
export async function insertPendingDelivery(
  db: Querier,
  d: { id: string; orgId: string; dsClientId: string; eventType: string; payload: Record<string, unknown> },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO webhook_delivery (id, org_id, ds_client_id, event_type, payload, status, attempts)
     VALUES ($1, $2, $3, $4, $5, 'pending', 0) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [d.id, d.orgId, d.dsClientId, d.eventType, d.payload],
  );
  return rows.length > 0;
}

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

/** The message cannot be sent at all (client revoked, no URL): failed, not retried. */
export async function recordUndeliverable(db: Querier, id: string, reason: string): Promise<void> {
  await db.query(`UPDATE webhook_delivery SET status = 'failed', last_error = $2 WHERE id = $1`, [id, reason]);
}
