import { openRemovalSql, type Querier } from './removal.repository.js';

/** A group with open removals that its delivery service has gone quiet about. */
export interface StaleGroupRow {
  org_id: string;
  group_id: Buffer;
  epoch: string;
  reported_at: Date;
  pending: number;
  oldest_planned_at: Date;
  stale_seconds: number;
}

/**
 * Groups of these orgs with open removals and no report since the later of their last report
 * and their oldest open removal for longer than the org's threshold: the removals were asked
 * for and the delivery service has said nothing since (a DS that reports but does not commit
 * shows up as overdue removals instead). Stalest first, at most `perOrg` per org.
 */
export function staleGroups(
  db: Querier,
  orgs: readonly { orgId: string; reportStaleAfterMinutes: number }[],
  perOrg: number,
): Promise<StaleGroupRow[]> {
  if (orgs.length === 0) return Promise.resolve([]);
  return db.query(
    `SELECT org_id, group_id, epoch, reported_at, pending, oldest_planned_at, stale_seconds
       FROM (
         SELECT g.org_id, g.group_id, g.epoch, g.updated_at AS reported_at, o.pending, o.oldest_planned_at,
                EXTRACT(EPOCH FROM now() - GREATEST(g.updated_at, o.oldest_planned_at))::float AS stale_seconds,
                row_number() OVER (PARTITION BY g.org_id ORDER BY GREATEST(g.updated_at, o.oldest_planned_at)) AS rank
           FROM unnest($1::uuid[], $2::int[]) AS s(org_id, mins)
           JOIN LATERAL (
             SELECT r.group_ref, count(*)::int AS pending, min(r.planned_at) AS oldest_planned_at
               FROM removal r
              WHERE r.org_id = s.org_id AND ${openRemovalSql('r')}
              GROUP BY r.group_ref
           ) o ON true
           JOIN mls_group g ON g.id = o.group_ref
          WHERE GREATEST(g.updated_at, o.oldest_planned_at) < now() - make_interval(mins => s.mins)
       ) ranked
      WHERE rank <= $3
      ORDER BY org_id, stale_seconds DESC`,
    [orgs.map((o) => o.orgId), orgs.map((o) => o.reportStaleAfterMinutes), perOrg],
  );
}

/** How many stale groups each org has, without a cap (orgs absent from the answer have none). */
export async function staleGroupCounts(
  db: Querier,
  orgs: readonly { orgId: string; reportStaleAfterMinutes: number }[],
): Promise<Map<string, number>> {
  if (orgs.length === 0) return new Map();
  const rows: { org_id: string; n: number }[] = await db.query(
    `SELECT s.org_id, count(*)::int AS n
       FROM unnest($1::uuid[], $2::int[]) AS s(org_id, mins)
       JOIN LATERAL (
         SELECT r.group_ref, min(r.planned_at) AS oldest_planned_at
           FROM removal r
          WHERE r.org_id = s.org_id AND ${openRemovalSql('r')}
          GROUP BY r.group_ref
       ) o ON true
       JOIN mls_group g ON g.id = o.group_ref
      WHERE GREATEST(g.updated_at, o.oldest_planned_at) < now() - make_interval(mins => s.mins)
      GROUP BY s.org_id`,
    [orgs.map((o) => o.orgId), orgs.map((o) => o.reportStaleAfterMinutes)],
  );
  return new Map(rows.map((r) => [r.org_id, r.n]));
}
