import type { EntityManager } from 'typeorm';

/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
type Db = Pick<EntityManager, 'query'>;

export interface DeviceOnRecord {
  id: string;
  accountId: string;
  status: 'active' | 'revoked';
  /** RFC 9420 cipher suite code point the device enrolled with. */
  ciphersuite: number;
}

/**
 * The org's devices among these ids. Ids come from certificates, so they are compared as
 * text: a malformed one matches nothing instead of failing the query.
 */
export async function devicesInOrg(db: Db, orgId: string, deviceIds: readonly string[]): Promise<DeviceOnRecord[]> {
  if (deviceIds.length === 0) return [];
  const rows: { id: string; account_id: string; status: 'active' | 'revoked'; ciphersuite: number }[] = await db.query(
    `SELECT id, account_id, status, ciphersuite FROM device WHERE org_id = $1 AND id::text = ANY($2::text[])`,
    [orgId, deviceIds],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, status: r.status, ciphersuite: r.ciphersuite }));
}

/** The revoked ones among the org's devices, with their revocation reason (null when none was recorded). */
export async function revokedDevicesInOrg(db: Db, orgId: string, deviceIds: readonly string[]): Promise<Map<string, string | null>> {
  if (deviceIds.length === 0) return new Map();
  const rows: { id: string; revocation_reason: string | null }[] = await db.query(
    `SELECT id, revocation_reason FROM device WHERE org_id = $1 AND id = ANY($2::uuid[]) AND status = 'revoked'`,
    [orgId, deviceIds],
  );
  return new Map(rows.map((r) => [r.id, r.revocation_reason]));
}
