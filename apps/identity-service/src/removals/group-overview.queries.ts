import { openRemovalSql, type Querier } from './removal.repository.js';

export interface GroupOverviewRow {
  id: string;
  group_id: Buffer;
  epoch: string;
  members: number;
  created_at: Date;
  /** created_at to the microsecond, as the keyset cursor carries it. */
  created_key: string;
  updated_at: Date;
  continuity_flag: string | null;
  ds_client_id: string | null;
  pending: number;
  overdue: number;
  room_admins: string[];
  membership: string;
}

/**
 * One page of the org's registered groups with what an admin looks for first: size, epoch,
 * the last verified report, open and overdue removals, the continuity flag, room admins and the
 * membership policy in force. Keyset-paged on (created_at, id).
 */
export async function groupOverviewPage(
  db: Querier,
  orgId: string,
  overdueAfterMinutes: number,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<GroupOverviewRow[]> {
  return db.query(
    `SELECT g.id, g.group_id, g.epoch, g.created_at, g.updated_at,
            to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key, g.continuity_flag, g.ds_client_id,
            (SELECT count(*) FROM mls_group_member m WHERE m.group_ref = g.id)::int AS members,
            open_removals.pending, open_removals.overdue,
            ARRAY(SELECT a.account_id::text FROM mls_room_admin a WHERE a.group_ref = g.id ORDER BY a.account_id) AS room_admins,
            COALESCE(p.membership, o.settings->'groups'->>'membershipPolicy', 'members') AS membership
       FROM mls_group g
       JOIN org o ON o.id = g.org_id
       LEFT JOIN mls_group_policy p ON p.group_ref = g.id
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS pending, count(*) FILTER (WHERE r.planned_at < now() - make_interval(mins => $2))::int AS overdue
           FROM removal r WHERE r.group_ref = g.id AND ${openRemovalSql('r')}
       ) open_removals
      WHERE g.org_id = $1 AND ($3::timestamptz IS NULL OR (g.created_at, g.id) > ($3::timestamptz, $4::uuid))
      ORDER BY g.created_at, g.id
      LIMIT $5`,
    [orgId, overdueAfterMinutes, after?.createdAt ?? null, after?.id ?? null, limit],
  );
}

export interface RemovalLatencyRow {
  day: string;
  p50: number;
  p95: number;
  committed: number;
}

/** Per day, how long committed removals took from planning to commit (seconds, p50 and p95). */
export async function removalLatencyByDay(db: Querier, orgId: string, days: number): Promise<RemovalLatencyRow[]> {
  return db.query(
    `SELECT to_char(date_trunc('day', committed_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM committed_at - planned_at))::float AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM committed_at - planned_at))::float AS p95,
            count(*)::int AS committed
       FROM removal
      WHERE org_id = $1 AND committed_at IS NOT NULL AND committed_at >= now() - make_interval(days => $2)
      GROUP BY 1 ORDER BY 1`,
    [orgId, days],
  );
}

/** The org's open removals, and how many of them are past its SLA. */
export async function openRemovalCounts(db: Querier, orgId: string, overdueAfterMinutes: number): Promise<{ pending: number; overdue: number }> {
  const [row]: { pending: number; overdue: number }[] = await db.query(
    `SELECT count(*)::int AS pending,
            count(*) FILTER (WHERE planned_at < now() - make_interval(mins => $2))::int AS overdue
       FROM removal WHERE org_id = $1 AND ${openRemovalSql()}`,
    [orgId, overdueAfterMinutes],
  );
  return row ?? { pending: 0, overdue: 0 };
}

export interface RosterRow {
  leaf_index: number;
  device_id: string | null;
  account_id: string | null;
  identity: string | null;
  pending_removal: boolean;
}

/** The members of one group as its last verified report showed them, leaf by leaf. */
export async function groupRoster(db: Querier, groupRef: string): Promise<RosterRow[]> {
  return db.query(
    `SELECT m.leaf_index, m.device_id, m.account_id, m.identity,
            EXISTS (SELECT 1 FROM removal r WHERE r.group_ref = m.group_ref AND r.leaf_index = m.leaf_index AND ${openRemovalSql('r')}) AS pending_removal
       FROM mls_group_member m
      WHERE m.group_ref = $1
      ORDER BY m.leaf_index`,
    [groupRef],
  );
}
