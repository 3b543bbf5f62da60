import type { EntityManager } from 'typeorm';
import { refuse } from '../enrollment.errors.js';

/**
 * The org's cap on pending redirect and device sessions, checked in the transaction that
 * inserts the new one. The transaction-scoped advisory lock serialises the starts of one org,
 * so concurrent starts cannot all see room for one more. The refusal's Retry-After is when the
 * oldest pending session expires (a slot is certain to free up by then).
 */
export async function requirePendingRoom(m: EntityManager, orgId: string, maxPending: number): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('enrollment_session:pending:' || $1, 0))`, [orgId]);
  const [row] = (await m.query(
    `SELECT count(*)::int AS pending, min(expires_at) AS first_expiry
       FROM enrollment_session WHERE org_id = $1 AND status = 'pending' AND expires_at > now()`,
    [orgId],
  )) as { pending: number; first_expiry: Date | null }[];
  if (row!.pending < maxPending) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(((row!.first_expiry?.getTime() ?? Date.now()) - Date.now()) / 1000));
  refuse('pending_enrollments_limit', `the org already has ${row!.pending} pending enrollments (limit ${maxPending})`, { retryAfterSeconds });
}
