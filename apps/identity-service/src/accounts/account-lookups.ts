import type { EntityManager } from 'typeorm';

/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
type Db = Pick<EntityManager, 'query'>;

/** Which of these account ids are accounts of the org. */
export async function accountIdsInOrg(db: Db, orgId: string, accountIds: readonly string[]): Promise<Set<string>> {
  if (accountIds.length === 0) return new Set();
  const rows: { id: string }[] = await db.query(`SELECT id FROM account WHERE org_id = $1 AND id = ANY($2::uuid[])`, [orgId, accountIds]);
  return new Set(rows.map((r) => r.id));
}

/** Whether each of these accounts may act: active and not deleted (absent ids are not in the map). */
export async function accountsActive(db: Db, accountIds: readonly string[]): Promise<Map<string, boolean>> {
  if (accountIds.length === 0) return new Map();
  const rows: { id: string; active: boolean; deleted_at: Date | null }[] = await db.query(
    `SELECT id, active, deleted_at FROM account WHERE id = ANY($1::uuid[])`,
    [accountIds],
  );
  return new Map(rows.map((r) => [r.id, r.active && !r.deleted_at]));
}
