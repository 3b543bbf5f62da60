import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isUuid } from './account-directory.service.js';
import { windowSql } from './list-window.js';
import { membersOfGroups, removeMembers, upsertMembers } from './scim-group-member.queries.js';

export interface GroupRecord {
  id: string;
  orgId: string;
  displayName: string;
  externalId: string | null;
  resource: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupFields {
  displayName: string;
  externalId: string | null;
  /** The representation without members, id and meta. */
  resource: Record<string, unknown>;
}

export interface GroupMember {
  value: string;
  display: string | null;
  type: string | null;
  /** The org's account this value names, if any. */
  accountId: string | null;
}

export interface GroupQuery {
  /** SQL condition over alias `g`, placeholders from $2 on ($1 is the org). */
  where?: string;
  params?: unknown[];
  orderBy?: string;
  offset: number;
  limit: number;
}

const COLUMNS = `g.id, g.org_id, g.display_name, g.external_id, g.resource, g.version, g.created_at, g.updated_at`;

interface GroupRow {
  id: string;
  org_id: string;
  display_name: string;
  external_id: string | null;
  resource: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toRecord(r: GroupRow): GroupRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    displayName: r.display_name,
    externalId: r.external_id,
    resource: r.resource,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** SCIM group rows and their members, scoped by org, in the caller's transaction. */
@Injectable()
export class GroupDirectory {
  async find(m: EntityManager, orgId: string, id: string, lock = false): Promise<GroupRecord | null> {
    if (!isUuid(id)) return null;
    const rows: GroupRow[] = await m.query(`SELECT ${COLUMNS} FROM scim_group g WHERE g.org_id = $1 AND g.id = $2${lock ? ' FOR UPDATE' : ''}`, [
      orgId,
      id,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async insert(m: EntityManager, orgId: string, fields: GroupFields): Promise<GroupRecord> {
    const rows: GroupRow[] = await m.query(
      `INSERT INTO scim_group AS g (org_id, display_name, external_id, resource) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [orgId, fields.displayName, fields.externalId, fields.resource],
    );
    return toRecord(rows[0]);
  }

  /** The row as written (the caller holds it locked, so it exists). */
  async update(m: EntityManager, orgId: string, id: string, fields: GroupFields): Promise<GroupRecord> {
    const [rows]: [GroupRow[], number] = await m.query(
      `UPDATE scim_group AS g SET display_name = $3, external_id = $4, resource = $5, version = g.version + 1, updated_at = now()
        WHERE g.org_id = $1 AND g.id = $2 RETURNING ${COLUMNS}`,
      [orgId, id, fields.displayName, fields.externalId, fields.resource],
    );
    return toRecord(rows[0]);
  }

  async delete(m: EntityManager, orgId: string, id: string): Promise<void> {
    await m.query(`DELETE FROM scim_group WHERE org_id = $1 AND id = $2`, [orgId, id]);
  }

  async list(m: EntityManager, orgId: string, q: GroupQuery): Promise<{ total: number; groups: GroupRecord[] }> {
    const where = `g.org_id = $1${q.where ? ` AND (${q.where})` : ''}`;
    const params = [orgId, ...(q.params ?? [])];
    const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM scim_group g WHERE ${where}`, params);
    if (q.limit === 0 || n === 0) return { total: n, groups: [] };
    const order = `${q.orderBy ? `${q.orderBy}, ` : ''}g.created_at, g.id`;
    const rows: GroupRow[] = await m.query(windowSql(`SELECT ${COLUMNS} FROM scim_group g WHERE ${where}`, 'g', order, q, n), params);
    return { total: n, groups: rows.map(toRecord) };
  }

  /**
   * Whether the account holds the org's entitlement (issue 13 §3): a direct member of the
   * entitlement group, named by id or displayName (case-insensitively). True when the org names
   * no entitlement group. A precondition of reactivation, enrollment and renewal, not only
   * enforced when a member leaves.
   */
  async entitled(m: EntityManager, orgId: string, accountId: string, group: { id: string | null; displayName: string | null }): Promise<boolean> {
    if (group.id === null && group.displayName === null) return true;
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM scim_group_member gm JOIN scim_group g ON g.id = gm.group_id
        WHERE gm.org_id = $1 AND gm.account_id = $2
          AND (g.id = $3::uuid OR ($4::text IS NOT NULL AND lower(g.display_name) = lower($4::text)))
        LIMIT 1`,
      [orgId, accountId, group.id, group.displayName],
    );
    return rows.length > 0;
  }

  async members(m: EntityManager, orgId: string, groupIds: readonly string[]): Promise<Map<string, GroupMember[]>> {
    const out = new Map<string, GroupMember[]>();
    if (groupIds.length === 0) return out;
    for (const r of await membersOfGroups(m, orgId, groupIds)) {
      const list = out.get(r.group_id) ?? [];
      list.push({ value: r.value, display: r.display, type: r.type, accountId: r.account_id });
      out.set(r.group_id, list);
    }
    return out;
  }

  /**
   * Makes the member rows equal to `members` (by value) and returns the account ids that
   * left the group, for the entitlement check. `current` is the group's member rows as the
   * caller read them in this transaction with the group locked (a new group has none), so
   * they are not read a second time.
   */
  async setMembers(
    m: EntityManager,
    orgId: string,
    groupId: string,
    members: readonly { value: string; display?: string | null; type?: string | null }[],
    current: readonly GroupMember[],
  ): Promise<{ removedAccounts: string[] }> {
    // Member values naming accounts are UUIDs, which IdPs may send in either case: one account, one key.
    const key = (value: string) => (isUuid(value) ? value.toLowerCase() : value);
    members = members.map((x) => ({ ...x, value: key(x.value) }));
    const wanted = new Map(members.map((x) => [x.value, x]));
    const removed = current.filter((c) => !wanted.has(key(c.value)));
    await removeMembers(
      m,
      groupId,
      removed.map((r) => r.value),
    );
    const byValue = new Map(current.map((c) => [key(c.value), c]));
    const changed = members.filter((x) => {
      const before = byValue.get(x.value);
      return !before || before.display !== (x.display ?? null) || before.type !== (x.type ?? null);
    });
    await upsertMembers(
      m,
      orgId,
      groupId,
      changed.map((x) => ({
        value: x.value,
        candidateAccountId: isUuid(x.value) ? x.value : null,
        display: x.display ?? null,
        type: x.type ?? null,
      })),
    );
    return { removedAccounts: removed.flatMap((r) => (r.accountId ? [r.accountId] : [])) };
  }
}
