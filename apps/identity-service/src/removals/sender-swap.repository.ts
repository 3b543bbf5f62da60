import { ownedGroupSql, type Querier } from './removal.repository.js';

/** A swap proposal is open (signed, waiting for the group to commit it) in these states, as removals are. */
export const OPEN_SWAP_SQL = `status IN ('pending', 'delivered')`;

export interface OpenRotationRow {
  id: string;
  ciphersuite: number;
  oldSenderId: string;
  newSenderId: string;
  startedAt: Date;
}

export async function openRotations(db: Querier, orgId: string, ciphersuite?: number): Promise<OpenRotationRow[]> {
  const rows: { id: string; ciphersuite: number; old_sender_id: string; new_sender_id: string; started_at: Date }[] = await db.query(
    `SELECT id, ciphersuite, old_sender_id, new_sender_id, started_at FROM mls_external_sender_rotation
      WHERE org_id = $1 AND completed_at IS NULL${ciphersuite === undefined ? '' : ' AND ciphersuite = $2'} ORDER BY ciphersuite`,
    ciphersuite === undefined ? [orgId] : [orgId, ciphersuite],
  );
  return rows.map((r) => ({
    id: r.id,
    ciphersuite: r.ciphersuite,
    oldSenderId: r.old_sender_id,
    newSenderId: r.new_sender_id,
    startedAt: r.started_at,
  }));
}

export async function insertRotation(
  db: Querier,
  r: { orgId: string; ciphersuite: number; oldSenderId: string; newSenderId: string; startedBy: string },
): Promise<string> {
  const [row]: { id: string }[] = await db.query(
    `INSERT INTO mls_external_sender_rotation (org_id, ciphersuite, old_sender_id, new_sender_id, started_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [r.orgId, r.ciphersuite, r.oldSenderId, r.newSenderId, r.startedBy],
  );
  return row!.id;
}

export async function completeRotation(db: Querier, rotationId: string, forcedBy: string | null): Promise<void> {
  await db.query(`UPDATE mls_external_sender_rotation SET completed_at = now(), forced_by = $2 WHERE id = $1 AND completed_at IS NULL`, [
    rotationId,
    forcedBy,
  ]);
}

export interface OpenSwapRow {
  id: string;
  groupRef: string;
  epoch: string;
  proposal: Buffer;
  proposalRef: Buffer;
}

function openSwap(r: { id: string; group_ref: string; epoch: string; proposal: Buffer; proposal_ref: Buffer }): OpenSwapRow {
  return { id: String(r.id), groupRef: r.group_ref, epoch: String(r.epoch), proposal: r.proposal, proposalRef: r.proposal_ref };
}

/** The open swaps of a group (any rotation); `rotationId` narrows to one, `forUpdate` locks them. */
export async function openSwapsOfGroup(
  db: Querier,
  groupRef: string,
  options: { rotationId?: string; forUpdate?: boolean } = {},
): Promise<OpenSwapRow[]> {
  const rows = await db.query(
    `SELECT id, group_ref, epoch, proposal, proposal_ref FROM mls_sender_swap
      WHERE group_ref = $1 AND ${OPEN_SWAP_SQL}${options.rotationId ? ' AND rotation_id = $2' : ''}${options.forUpdate ? ' FOR UPDATE' : ''}`,
    options.rotationId ? [groupRef, options.rotationId] : [groupRef],
  );
  return (rows as Parameters<typeof openSwap>[0][]).map(openSwap);
}

export async function insertSwap(
  db: Querier,
  s: { orgId: string; rotationId: string; groupRef: string; epoch: string; proposal: Buffer; proposalRef: Buffer },
): Promise<string> {
  const [row]: { id: string }[] = await db.query(
    `INSERT INTO mls_sender_swap (org_id, rotation_id, group_ref, epoch, proposal, proposal_ref, status) VALUES ($1, $2, $3, $4, $5, $6, 'pending') RETURNING id`,
    [s.orgId, s.rotationId, s.groupRef, s.epoch, s.proposal, s.proposalRef],
  );
  return String(row!.id);
}

export async function closeSwaps(db: Querier, ids: readonly string[], status: 'committed' | 'superseded'): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE mls_sender_swap SET status = $2, committed_at = CASE WHEN $2 = 'committed' THEN now() ELSE committed_at END WHERE id = ANY($1::bigint[]) AND ${OPEN_SWAP_SQL}`,
    [ids, status],
  );
}

export async function countOpenSwaps(db: Querier, rotationId: string): Promise<number> {
  const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM mls_sender_swap WHERE rotation_id = $1 AND ${OPEN_SWAP_SQL}`, [
    rotationId,
  ]);
  return row!.n;
}

/** Groups of a rotation by state: `open` (not moved yet) or `committed`. */
export async function rotationGroups(
  db: Querier,
  rotationId: string,
  state: 'open' | 'committed',
  limit: number,
): Promise<{ groupId: Buffer; epoch: string }[]> {
  const rows: { group_id: Buffer; epoch: string }[] = await db.query(
    `SELECT g.group_id, s.epoch FROM mls_sender_swap s JOIN mls_group g ON g.id = s.group_ref
      WHERE s.rotation_id = $1 AND ${state === 'open' ? `s.${OPEN_SWAP_SQL}` : `s.status = 'committed'`}
      ORDER BY s.id LIMIT $2`,
    [rotationId, limit],
  );
  return rows.map((r) => ({ groupId: r.group_id, epoch: String(r.epoch) }));
}

export async function countRotationGroups(db: Querier, rotationId: string): Promise<{ open: number; committed: number }> {
  const [row]: { open: number; committed: number }[] = await db.query(
    `SELECT count(*) FILTER (WHERE ${OPEN_SWAP_SQL})::int AS open, count(*) FILTER (WHERE status = 'committed')::int AS committed
       FROM mls_sender_swap WHERE rotation_id = $1`,
    [rotationId],
  );
  return row!;
}

export interface SwapViewRow {
  id: string;
  group_id: Buffer;
  epoch: string;
  status: string;
  proposal: Buffer;
  proposal_ref: Buffer;
  ciphersuite: number;
  created_at: Date;
  ds_client_id: string | null;
}

const SWAP_VIEW = `SELECT s.id, g.group_id, s.epoch, s.status, s.proposal, s.proposal_ref, r.ciphersuite, s.created_at, g.ds_client_id
  FROM mls_sender_swap s JOIN mls_group g ON g.id = s.group_ref JOIN mls_external_sender_rotation r ON r.id = s.rotation_id`;

/** The DS client's swaps after the cursor (groups it owns, or owned by nobody), oldest first. */
export async function swapsAfter(db: Querier, orgId: string, dsClientId: string, after: string, limit: number): Promise<SwapViewRow[]> {
  return db.query(`${SWAP_VIEW} WHERE s.org_id = $1 AND s.id > $2 AND ${ownedGroupSql('$3')} ORDER BY s.id LIMIT $4`, [
    orgId,
    after,
    dsClientId,
    limit,
  ]);
}

export async function swapViewRows(db: Querier, ids: readonly string[]): Promise<SwapViewRow[]> {
  return db.query(`${SWAP_VIEW} WHERE s.id = ANY($1::bigint[]) ORDER BY s.id`, [ids]);
}

export async function markSwapsDelivered(db: Querier, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.query(`UPDATE mls_sender_swap SET status = 'delivered' WHERE id = ANY($1::bigint[]) AND status = 'pending'`, [ids]);
}

/** Registered groups of the suite that list one of our senders (the rotation decides which by decoding their context). */
export async function listedGroupsOfSuite(
  db: Querier,
  orgId: string,
  ciphersuite: number,
): Promise<{ ref: string; epoch: string; groupContext: Buffer }[]> {
  const rows: { id: string; epoch: string; group_context: Buffer }[] = await db.query(
    `SELECT id, epoch, group_context FROM mls_group WHERE org_id = $1 AND ciphersuite = $2 AND external_sender_listed ORDER BY created_at`,
    [orgId, ciphersuite],
  );
  return rows.map((r) => ({ ref: r.id, epoch: String(r.epoch), groupContext: r.group_context }));
}

export function swapView(r: SwapViewRow) {
  return {
    id: String(r.id),
    groupId: r.group_id.toString('base64url'),
    epoch: String(r.epoch),
    ciphersuite: r.ciphersuite,
    status: r.status,
    /** MLSMessage (PublicMessage, external sender, GroupContextExtensions) to hand to the group's members. */
    proposal: r.proposal.toString('base64'),
    proposalRef: r.proposal_ref.toString('base64'),
    signedAt: new Date(r.created_at).toISOString(),
  };
}
