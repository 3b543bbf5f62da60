import type { EntityManager } from 'typeorm';
import type { RemovalStatus } from './removal.entity.js';
import { REMOVAL_VIEW_COLUMNS, type RemovalViewRow } from './removal.view.js';

/** Anything that runs SQL: the DataSource, or a transaction's EntityManager. */
export type Querier = Pick<EntityManager, 'query'>;

/**
 * The "open removal" predicate, the one definition: signed and waiting for a commit (pending:
 * not yet in the feed; delivered: handed to a delivery service). Committed and superseded
 * removals are closed. The partial unique index on (group_ref, leaf_index, device_id) has
 * this predicate, so at most one removal per member is open.
 */
export const OPEN_REMOVAL_STATUSES = ['pending', 'delivered'] as const satisfies readonly RemovalStatus[];
export type OpenRemovalStatus = (typeof OPEN_REMOVAL_STATUSES)[number];

export function isOpenRemoval(status: string): status is OpenRemovalStatus {
  return (OPEN_REMOVAL_STATUSES as readonly string[]).includes(status);
}

/** The predicate in SQL, over the removal row `alias` (none: the table's own columns). */
export function openRemovalSql(alias?: string): string {
  return `${alias ? `${alias}.` : ''}status IN (${OPEN_REMOVAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;
}

export interface OpenRemovalRow {
  id: string;
  epoch: string;
  leafIndex: number;
  deviceId: string;
  reason: string;
  plannedAt: Date;
  /** MLSMessage bytes of the signed proposal. */
  proposal: Buffer;
  proposalRef: Buffer;
}

/** A removal to store: one signed proposal for one member at one epoch. */
export interface NewRemoval {
  groupRef: string;
  epoch: string;
  leafIndex: number;
  deviceId: string;
  reason: string;
  proposal: Buffer;
  proposalRef: Buffer;
  plannedAt: Date;
}

export interface StoredRemoval {
  id: string;
  groupRef: string;
  leafIndex: number;
  deviceId: string;
}

/** The group's open removals; `forUpdate` locks them for the reconciling transaction. */
export async function openRemovalsOfGroup(db: Querier, groupRef: string, options: { forUpdate?: boolean } = {}): Promise<OpenRemovalRow[]> {
  const rows: {
    id: string;
    epoch: string;
    leaf_index: number;
    device_id: string;
    reason: string;
    planned_at: Date;
    proposal: Buffer;
    proposal_ref: Buffer;
  }[] = await db.query(
    `SELECT id, epoch, leaf_index, device_id, reason, planned_at, proposal, proposal_ref FROM removal
        WHERE group_ref = $1 AND ${openRemovalSql()}${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [groupRef],
  );
  return rows.map((r) => ({
    id: String(r.id),
    epoch: String(r.epoch),
    leafIndex: r.leaf_index,
    deviceId: r.device_id,
    reason: r.reason,
    plannedAt: r.planned_at,
    proposal: r.proposal,
    proposalRef: r.proposal_ref,
  }));
}

export async function countOpenRemovals(db: Querier, groupRef: string): Promise<number> {
  const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM removal WHERE group_ref = $1 AND ${openRemovalSql()}`, [groupRef]);
  return row!.n;
}

/** Leaves the org's groups (those listing our sender) give these devices that have no open removal yet. */
export async function unplannedLeavesOfDevices(
  db: Querier,
  orgId: string,
  deviceIds: readonly string[],
): Promise<{ groupRef: string; epoch: string; leafIndex: number; deviceId: string }[]> {
  const rows: { group_ref: string; epoch: string; leaf_index: number; device_id: string }[] = await db.query(
    `SELECT g.id AS group_ref, g.epoch, gm.leaf_index, gm.device_id
       FROM mls_group_member gm JOIN mls_group g ON g.id = gm.group_ref
      WHERE g.org_id = $1 AND gm.device_id = ANY($2::uuid[]) AND g.external_sender_listed
        AND NOT EXISTS (SELECT 1 FROM removal r WHERE r.group_ref = gm.group_ref AND r.leaf_index = gm.leaf_index
                           AND r.device_id = gm.device_id AND ${openRemovalSql('r')})`,
    [orgId, deviceIds],
  );
  return rows.map((r) => ({ groupRef: r.group_ref, epoch: String(r.epoch), leafIndex: r.leaf_index, deviceId: r.device_id }));
}

/** Stores new proposals; a member that already has an open removal keeps it (and gets no row here). */
export async function insertRemovals(db: Querier, orgId: string, rows: readonly NewRemoval[]): Promise<StoredRemoval[]> {
  const inserted: { id: string; group_ref: string; leaf_index: number; device_id: string }[] = await db.query(
    `INSERT INTO removal (org_id, group_ref, epoch, leaf_index, device_id, reason, proposal, proposal_ref, planned_at)
     SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::int[], $5::uuid[], $6::text[], $7::bytea[], $8::bytea[], $9::timestamptz[])
     ON CONFLICT (group_ref, leaf_index, device_id) WHERE ${openRemovalSql()} DO NOTHING
     RETURNING id, group_ref, leaf_index, device_id`,
    [
      orgId,
      rows.map((r) => r.groupRef),
      rows.map((r) => r.epoch),
      rows.map((r) => r.leafIndex),
      rows.map((r) => r.deviceId),
      rows.map((r) => r.reason),
      rows.map((r) => r.proposal),
      rows.map((r) => r.proposalRef),
      rows.map((r) => r.plannedAt),
    ],
  );
  return inserted.map((r) => ({ id: String(r.id), groupRef: r.group_ref, leafIndex: r.leaf_index, deviceId: r.device_id }));
}

/** The member left the group: the removal is done. */
export async function markCommitted(db: Querier, ids: readonly string[]): Promise<void> {
  await db.query(`UPDATE removal SET status = 'committed', committed_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
}

/** The group moved to a newer epoch with the member still there: the proposal no longer applies. */
export async function markSuperseded(db: Querier, ids: readonly string[]): Promise<void> {
  await db.query(`UPDATE removal SET status = 'superseded', superseded_at = now() WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function linkSuccessor(db: Querier, id: string, successorId: string): Promise<void> {
  await db.query(`UPDATE removal SET superseded_by = $2 WHERE id = $1`, [id, successorId]);
}

/** SQL: the group `g` is the delivery-service client's `$n` (or of no client yet). */
export function ownedGroupSql(param: string): string {
  return `(g.ds_client_id = ${param} OR g.ds_client_id IS NULL)`;
}

/** The removals after the feed cursor in the groups the DS client owns, oldest first, with whether each is still open. */
export async function removalsAfter(db: Querier, orgId: string, dsClientId: string, after: string, limit: number): Promise<RemovalViewRow[]> {
  return db.query(
    `SELECT ${REMOVAL_VIEW_COLUMNS}
       FROM removal r JOIN mls_group g ON g.id = r.group_ref
      WHERE r.org_id = $1 AND r.id > $2 AND ${ownedGroupSql('$4')} ORDER BY r.id LIMIT $3`,
    [orgId, after, limit, dsClientId],
  );
}

/** Pending removals a delivery service has now been given. */
export async function markDelivered(db: Querier, ids: readonly string[]): Promise<void> {
  await db.query(`UPDATE removal SET status = 'delivered', delivered_at = now() WHERE id = ANY($1::bigint[]) AND status = 'pending'`, [ids]);
}

export async function removalViewRows(db: Querier, ids: readonly string[]): Promise<RemovalViewRow[]> {
  return db.query(
    `SELECT ${REMOVAL_VIEW_COLUMNS} FROM removal r JOIN mls_group g ON g.id = r.group_ref WHERE r.id = ANY($1::bigint[]) ORDER BY r.id`,
    [ids],
  );
}

/** Open removals of the org (of the DS client's groups, when given) planned more than `overdueAfterMinutes` ago, oldest first. */
export async function overdueRemovals(
  db: Querier,
  orgId: string,
  overdueAfterMinutes: number,
  limit: number,
  dsClientId?: string,
): Promise<(RemovalViewRow & { overdue_seconds: number })[]> {
  return db.query(
    `SELECT ${REMOVAL_VIEW_COLUMNS}, EXTRACT(EPOCH FROM now() - r.planned_at - make_interval(mins => $2))::float AS overdue_seconds
       FROM removal r JOIN mls_group g ON g.id = r.group_ref
      WHERE r.org_id = $1 AND ${openRemovalSql('r')} AND r.planned_at < now() - make_interval(mins => $2)
        ${dsClientId === undefined ? '' : `AND ${ownedGroupSql('$4')}`}
      ORDER BY r.planned_at LIMIT $3`,
    dsClientId === undefined ? [orgId, overdueAfterMinutes, limit] : [orgId, overdueAfterMinutes, limit, dsClientId],
  );
}

/** How many open removals each org has past its own SLA (orgs absent from the answer have none). */
export async function overdueCounts(db: Querier, slas: readonly { orgId: string; overdueAfterMinutes: number }[]): Promise<Map<string, number>> {
  if (slas.length === 0) return new Map();
  const rows: { org_id: string; n: number }[] = await db.query(
    `SELECT s.org_id, count(r.id)::int AS n
       FROM unnest($1::uuid[], $2::int[]) AS s(org_id, mins)
       JOIN removal r ON r.org_id = s.org_id AND ${openRemovalSql('r')} AND r.planned_at < now() - make_interval(mins => s.mins)
      GROUP BY s.org_id`,
    [slas.map((s) => s.orgId), slas.map((s) => s.overdueAfterMinutes)],
  );
  return new Map(rows.map((r) => [r.org_id, r.n]));
}
