import type { EntityManager } from 'typeorm';

/** How an admin sees an account's state: the IdP's `active`, and a manual suspension over it. */
export type AccountStatus = 'active' | 'suspended' | 'inactive';
export const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'suspended', 'inactive'];
export const ACCOUNT_SEARCH_FIELDS = ['any', 'userName', 'email', 'name'] as const;
export type AccountSearchField = (typeof ACCOUNT_SEARCH_FIELDS)[number];

export interface AccountSearchFilter {
  /** Lower-cased search text. */
  text?: string;
  field: AccountSearchField;
  /** `prefix` is served by the search indexes; `substring` scans the org's accounts. */
  match: 'prefix' | 'substring';
  status?: AccountStatus;
}

export interface AdminAccountRow {
  id: string;
  userName: string;
  externalId: string | null;
  displayName: string | null;
  email: string | null;
  status: AccountStatus;
  suspendedAt: Date | null;
  suspendedBy: string | null;
  deprovisionedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  position: { createdAt: string; id: string };
}

const STATUS_SQL: Record<AccountStatus, string> = {
  active: 'a.active AND a.suspended_at IS NULL',
  suspended: 'a.suspended_at IS NOT NULL',
  inactive: 'NOT a.active AND a.suspended_at IS NULL',
};

const FIELD_SQL: Record<Exclude<AccountSearchField, 'any'>, string> = {
  userName: 'lower(a.user_name) LIKE $2',
  email: 'lower(a.email) LIKE $2',
  name: 'lower(a.display_name) LIKE $2',
};

interface Row {
  id: string;
  user_name: string;
  external_id: string | null;
  display_name: string | null;
  email: string | null;
  active: boolean;
  suspended_at: Date | null;
  suspended_by: string | null;
  deprovisioned_at: Date | null;
  created_at: Date;
  updated_at: Date;
  created_at_text: string;
}

const COLUMNS = `a.id, a.user_name, a.external_id, a.display_name, a.email, a.active, a.suspended_at, a.suspended_by,
  a.deprovisioned_at, a.created_at, a.updated_at, a.created_at::text AS created_at_text`;

/** `%`, `_` and backslash typed by an admin match themselves. */
const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

function fromRow(r: Row): AdminAccountRow {
  return {
    id: r.id,
    userName: r.user_name,
    externalId: r.external_id,
    displayName: r.display_name,
    email: r.email,
    status: r.suspended_at ? 'suspended' : r.active ? 'active' : 'inactive',
    suspendedAt: r.suspended_at,
    suspendedBy: r.suspended_by,
    deprovisionedAt: r.deprovisioned_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    position: { createdAt: r.created_at_text, id: r.id },
  };
}

/** The org's non-deleted accounts matching the filter, oldest first, after the keyset position. */
export async function searchAccounts(
  m: EntityManager,
  orgId: string,
  f: AccountSearchFilter,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<AdminAccountRow[]> {
  const pattern = f.text === undefined ? null : `${f.match === 'substring' ? '%' : ''}${escapeLike(f.text)}%`;
  const fieldSql = f.field === 'any' ? Object.values(FIELD_SQL).join(' OR ') : FIELD_SQL[f.field];
  const rows: Row[] = await m.query(
    `SELECT ${COLUMNS} FROM account a
      WHERE a.org_id = $1 AND a.deleted_at IS NULL
        AND ($2::text IS NULL OR ${fieldSql})
        ${f.status ? `AND ${STATUS_SQL[f.status]}` : ''}
        AND ($3::timestamptz IS NULL OR (a.created_at, a.id) > ($3::timestamptz, $4::uuid))
      ORDER BY a.created_at, a.id LIMIT $5`,
    [orgId, pattern, after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return rows.map(fromRow);
}

/** One non-deleted account of the org as admins see it. */
export async function adminAccount(m: EntityManager, orgId: string, id: string): Promise<AdminAccountRow | null> {
  const rows: Row[] = await m.query(`SELECT ${COLUMNS} FROM account a WHERE a.org_id = $1 AND a.id = $2 AND a.deleted_at IS NULL`, [orgId, id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** How many of the org's non-deleted accounts are in each status. */
export async function accountsByStatus(m: EntityManager, orgId: string): Promise<{ status: AccountStatus; count: number }[]> {
  return m.query(
    `SELECT CASE WHEN a.suspended_at IS NOT NULL THEN 'suspended' WHEN a.active THEN 'active' ELSE 'inactive' END AS status, count(*)::int AS count
       FROM account a WHERE a.org_id = $1 AND a.deleted_at IS NULL GROUP BY 1`,
    [orgId],
  );
}
