import type { MembershipPolicy } from '../orgs/index.js';
import type { Querier } from './removal.repository.js';

/** The group's own membership policy, or null when it follows the org default. */
export async function groupMembershipPolicy(db: Querier, ref: string): Promise<MembershipPolicy | null> {
  const [row]: { membership: MembershipPolicy }[] = await db.query(`SELECT membership FROM mls_group_policy WHERE group_ref = $1`, [ref]);
  return row?.membership ?? null;
}

/** Sets (or, with null, clears) the group's own policy; returns the previous one. */
export async function setGroupMembershipPolicy(
  db: Querier,
  ref: string,
  policy: MembershipPolicy | null,
  setBy: string,
): Promise<MembershipPolicy | null> {
  const [before]: { membership: MembershipPolicy }[] = await db.query(`SELECT membership FROM mls_group_policy WHERE group_ref = $1 FOR UPDATE`, [
    ref,
  ]);
  if (policy === null) await db.query(`DELETE FROM mls_group_policy WHERE group_ref = $1`, [ref]);
  else {
    await db.query(
      `INSERT INTO mls_group_policy (group_ref, membership, set_by, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (group_ref) DO UPDATE SET membership = EXCLUDED.membership, set_by = EXCLUDED.set_by, updated_at = now()`,
      [ref, policy, setBy],
    );
  }
  return before?.membership ?? null;
}
