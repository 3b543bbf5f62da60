import type { EntityManager } from 'typeorm';

/**
 * How long an ended enrollment session is kept after it expired: the device may still ask for
 * its result or its refusal (a device that was offline for a night), and then the row goes.
 */
export const SESSION_RETENTION_AFTER_EXPIRY_S = 24 * 60 * 60;

/**
 * Deletes redirect and device sessions that expired more than the retention ago, whatever
 * their state: anonymous starts would otherwise accumulate for ever (issue 13 §7). Idempotent,
 * so every replica may run it.
 */
export async function purgeExpiredSessions(m: EntityManager, retentionS = SESSION_RETENTION_AFTER_EXPIRY_S): Promise<number> {
  const [, count]: [unknown, number] = await m.query(`DELETE FROM enrollment_session WHERE expires_at < now() - make_interval(secs => $1)`, [
    retentionS,
  ]);
  return count;
}
