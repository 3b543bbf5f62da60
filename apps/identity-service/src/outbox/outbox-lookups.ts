import type { EntityManager } from 'typeorm';

/**
 * Whether the org's message `id` of `topic` is in the outbox and not dead (queued, being
 * retried, or delivered and not yet cleaned up).
 */
export async function outboxMessageLive(db: Pick<EntityManager, 'query'>, message: { id: string; orgId: string; topic: string }): Promise<boolean> {
  const [row]: { live: boolean }[] = await db.query(
    `SELECT EXISTS (SELECT 1 FROM outbox WHERE id = $1 AND org_id = $2 AND topic = $3 AND dead_at IS NULL) AS live`,
    [message.id, message.orgId, message.topic],
  );
  return row!.live;
}
