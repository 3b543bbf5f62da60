import type { EntityManager } from 'typeorm';

/**
 * The only statements over `scim_group_member`: a group's members as the IdP sent them
 * (`value`), with the org's account each value names when it names one.
 */

export interface MemberRow {
  group_id: string;
  value: string;
  display: string | null;
  type: string | null;
  account_id: string | null;
}

export interface MembershipRow {
  account_id: string;
  group_id: string;
  display_name: string;
}

export async function membersOfGroups(m: EntityManager, orgId: string, groupIds: readonly string[]): Promise<MemberRow[]> {
  return m.query(
    `SELECT group_id, value, display, type, account_id FROM scim_group_member
      WHERE org_id = $1 AND group_id = ANY($2::uuid[]) ORDER BY value`,
    [orgId, groupIds],
  );
}

/** Direct memberships of these accounts, with the groups' display names. */
export async function membershipsOfAccounts(m: EntityManager, orgId: string, accountIds: readonly string[]): Promise<MembershipRow[]> {
  return m.query(
    `SELECT gm.account_id, g.id AS group_id, g.display_name
       FROM scim_group_member gm JOIN scim_group g ON g.id = gm.group_id
      WHERE gm.org_id = $1 AND gm.account_id = ANY($2::uuid[])
      ORDER BY g.display_name, g.id`,
    [orgId, accountIds],
  );
}

export async function removeMembers(m: EntityManager, groupId: string, values: readonly string[]): Promise<void> {
  if (values.length === 0) return;
  await m.query(`DELETE FROM scim_group_member WHERE group_id = $1 AND value = ANY($2::text[])`, [groupId, values]);
}

/**
 * Inserts the members, or updates display and type of those already there. A value names an
 * account when it is the id (UUID, lowercase) of one of the org's live accounts; the join
 * resolves that in the same statement, so a push of n members is one round trip, not n + 1.
 */
export async function upsertMembers(
  m: EntityManager,
  orgId: string,
  groupId: string,
  members: readonly { value: string; candidateAccountId: string | null; display: string | null; type: string | null }[],
): Promise<void> {
  if (members.length === 0) return;
  await m.query(
    `INSERT INTO scim_group_member (group_id, org_id, value, account_id, display, type)
     SELECT $1, $2, v.value, a.id, v.display, v.type
       FROM unnest($3::text[], $4::uuid[], $5::text[], $6::text[]) AS v(value, candidate, display, type)
       LEFT JOIN account a ON a.org_id = $2 AND a.id = v.candidate AND a.deleted_at IS NULL
     ON CONFLICT (group_id, value) DO UPDATE SET display = EXCLUDED.display, type = EXCLUDED.type`,
    [
      groupId,
      orgId,
      members.map((x) => x.value),
      members.map((x) => x.candidateAccountId),
      members.map((x) => x.display),
      members.map((x) => x.type),
    ],
  );
}

/** A deleted account leaves every group (its tombstone is no one's member). */
export async function removeAccountEverywhere(m: EntityManager, orgId: string, accountId: string): Promise<void> {
  await m.query(`DELETE FROM scim_group_member WHERE org_id = $1 AND account_id = $2`, [orgId, accountId]);
}
