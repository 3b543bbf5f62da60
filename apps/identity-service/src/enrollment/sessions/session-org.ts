import type { EntityManager } from 'typeorm';

/** The org of an enrollment session, by id (null for an unknown or malformed id). */
export async function enrollmentOrgId(m: EntityManager, enrollmentId: string): Promise<string | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(enrollmentId)) return null;
  const [row] = (await m.query(`SELECT org_id FROM enrollment_session WHERE id = $1`, [enrollmentId])) as { org_id: string }[];
  return row?.org_id ?? null;
}
