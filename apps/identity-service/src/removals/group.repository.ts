import type { EntityManager } from 'typeorm';
import { MlsGroup } from './mls-group.entity.js';
import type { Querier } from './removal.repository.js';

/** One occupied leaf as the registry stores it. */
export interface GroupMemberRow {
  leafIndex: number;
  /** SHA-256 of the leaf certificate (null: not x509). */
  fingerprint: Buffer | null;
  /** Set only for our devices whose certificate is on record. */
  deviceId: string | null;
  accountId: string | null;
  identity: string;
}

/** The stored group values a report sets. */
export type GroupValues = Pick<
  MlsGroup,
  'orgId' | 'groupId' | 'ciphersuite' | 'epoch' | 'groupInfo' | 'groupContext' | 'externalSenderListed' | 'updatedAt' | 'dsClientId'
>;

/** Serializes the reports of one group (including its first, which inserts the row) until the transaction ends. */
export async function lockGroupReports(m: EntityManager, orgId: string, groupId: Buffer): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mls_group:${orgId}:${groupId.toString('hex')}`]);
}

export function findGroupForUpdate(m: EntityManager, orgId: string, groupId: Buffer): Promise<MlsGroup | null> {
  return m
    .getRepository(MlsGroup)
    .createQueryBuilder('g')
    .setLock('pessimistic_write')
    .where('g.org_id = :orgId AND g.group_id = :groupId', { orgId, groupId })
    .getOne();
}

/** Stores a report's values: updates the group `ref`, or inserts it; returns its ref. */
export async function saveGroup(m: EntityManager, ref: string | undefined, values: GroupValues): Promise<string> {
  if (ref) {
    await m.update(MlsGroup, { id: ref }, values);
    return ref;
  }
  return (await m.save(m.create(MlsGroup, values))).id;
}

/**
 * The roster becomes exactly `members`. Only leaves that changed are deleted and written, so a
 * report whose commit changed one leaf writes one row, not the whole group.
 */
export async function replaceMembers(m: EntityManager, ref: string, members: readonly GroupMemberRow[]): Promise<void> {
  const columns = [
    ref,
    members.map((x) => x.leafIndex),
    members.map((x) => x.fingerprint),
    members.map((x) => x.deviceId),
    members.map((x) => x.accountId),
    members.map((x) => x.identity),
  ];
  const incoming = `SELECT * FROM unnest($2::int[], $3::bytea[], $4::uuid[], $5::uuid[], $6::text[])
                      AS i(leaf_index, fingerprint, device_id, account_id, identity)`;
  await m.query(
    `DELETE FROM mls_group_member gm WHERE gm.group_ref = $1 AND NOT EXISTS (
       SELECT 1 FROM (${incoming}) i
        WHERE i.leaf_index = gm.leaf_index AND i.fingerprint IS NOT DISTINCT FROM gm.fingerprint
          AND i.device_id IS NOT DISTINCT FROM gm.device_id AND i.account_id IS NOT DISTINCT FROM gm.account_id
          AND i.identity IS NOT DISTINCT FROM gm.identity)`,
    columns,
  );
  await m.query(
    `INSERT INTO mls_group_member (group_ref, leaf_index, fingerprint, device_id, account_id, identity)
     SELECT $1, i.* FROM (${incoming}) i ON CONFLICT (group_ref, leaf_index) DO NOTHING`,
    columns,
  );
}

/**
 * The certificates (SHA-256) the leaves of these devices show, across every group of the
 * org the registry knows.
 */
export async function fingerprintsOfDevices(m: EntityManager, orgId: string, deviceIds: readonly string[]): Promise<Map<string, Buffer[]>> {
  const out = new Map<string, Buffer[]>();
  if (deviceIds.length === 0) return out;
  const rows: { device_id: string; fingerprint: Buffer }[] = await m.query(
    `SELECT DISTINCT gm.device_id, gm.fingerprint FROM mls_group_member gm JOIN mls_group g ON g.id = gm.group_ref
      WHERE g.org_id = $1 AND gm.device_id = ANY($2::uuid[]) AND gm.fingerprint IS NOT NULL`,
    [orgId, [...deviceIds]],
  );
  for (const r of rows) out.set(r.device_id, [...(out.get(r.device_id) ?? []), Buffer.from(r.fingerprint)]);
  return out;
}

/** The group without its (possibly large) GroupInfo. */
export function findGroup(db: EntityManager, orgId: string, groupId: Buffer): Promise<MlsGroup | null> {
  return db.getRepository(MlsGroup).findOne({
    where: { orgId, groupId },
    select: {
      id: true,
      orgId: true,
      groupId: true,
      ciphersuite: true,
      epoch: true,
      externalSenderListed: true,
      dsClientId: true,
      continuityFlag: true,
      continuityFlaggedEpoch: true,
      continuityFlaggedAt: true,
      rebaseAuthorizedBy: true,
      createdAt: true,
      updatedAt: true,
    },
  });
}

/** The stored GroupInfo and its epoch as they are now. */
export async function currentGroupInfo(db: Querier, ref: string): Promise<{ epoch: string; groupInfo: Buffer }> {
  const [row]: { epoch: string; group_info: Buffer }[] = await db.query(`SELECT epoch, group_info FROM mls_group WHERE id = $1`, [ref]);
  return { epoch: String(row!.epoch), groupInfo: row!.group_info };
}

/** The compact stored GroupContexts of these groups. */
export async function groupContexts(db: Querier, refs: readonly string[]): Promise<{ ref: string; epoch: string; groupContext: Buffer }[]> {
  const rows: { id: string; epoch: string; group_context: Buffer }[] = await db.query(
    `SELECT id, epoch, group_context FROM mls_group WHERE id = ANY($1::uuid[])`,
    [refs],
  );
  return rows.map((r) => ({ ref: r.id, epoch: String(r.epoch), groupContext: r.group_context }));
}

/** Account of each leaf as registered (null: not one of our devices); with `leaves`, of those leaves only. */
export async function leafAccounts(db: Querier, ref: string, leaves?: readonly number[]): Promise<Map<number, string | null>> {
  const rows: { leaf_index: number; account_id: string | null }[] = leaves
    ? await db.query(`SELECT leaf_index, account_id FROM mls_group_member WHERE group_ref = $1 AND leaf_index = ANY($2::int[])`, [ref, leaves])
    : await db.query(`SELECT leaf_index, account_id FROM mls_group_member WHERE group_ref = $1`, [ref]);
  return new Map(rows.map((r) => [r.leaf_index, r.account_id]));
}

/** Room admins, in the order they were granted. */
export async function roomAdmins(db: Querier, ref: string): Promise<string[]> {
  const rows: { account_id: string }[] = await db.query(`SELECT account_id FROM mls_room_admin WHERE group_ref = $1 ORDER BY created_at`, [ref]);
  return rows.map((r) => r.account_id);
}

export async function isRoomAdmin(db: Querier, ref: string, accountId: string): Promise<boolean> {
  const [row] = await db.query(`SELECT 1 FROM mls_room_admin WHERE group_ref = $1 AND account_id = $2`, [ref, accountId]);
  return row !== undefined;
}

/** True when the account was not a room admin before. */
export async function grantRoomAdmin(db: Querier, ref: string, accountId: string, grantedBy: string): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `INSERT INTO mls_room_admin (group_ref, account_id, granted_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING account_id`,
    [ref, accountId, grantedBy],
  );
  return rows.length > 0;
}

/** True when the account was a room admin. */
export async function revokeRoomAdmin(db: Querier, ref: string, accountId: string): Promise<boolean> {
  const [rows]: [unknown[], number] = await db.query(`DELETE FROM mls_room_admin WHERE group_ref = $1 AND account_id = $2 RETURNING account_id`, [
    ref,
    accountId,
  ]);
  return rows.length > 0;
}

/**
 * A commit the service saw at authorization, signed by a member of the registered epoch, with
 * the proposal messages it references and the confirmed transcript hash it gives the next
 * epoch (RFC 9420 §8.2).
 */
export interface SeenCommit {
  groupRef: string;
  epoch: string;
  commitHash: Buffer;
  confirmedTranscriptHash: Buffer;
  commit: Buffer;
  proposals: Buffer[];
  authorized: boolean;
}

export async function recordSeenCommit(db: Querier, c: SeenCommit): Promise<void> {
  await db.query(
    `INSERT INTO mls_group_transition (group_ref, epoch, commit_hash, confirmed_transcript_hash, commit, proposals, authorized)
     VALUES ($1, $2, $3, $4, $5, $6::bytea[], $7)
     ON CONFLICT (group_ref, epoch, commit_hash) DO UPDATE SET authorized = mls_group_transition.authorized OR EXCLUDED.authorized`,
    [c.groupRef, c.epoch, c.commitHash, c.confirmedTranscriptHash, c.commit, c.proposals, c.authorized],
  );
}

/** Commits seen at `epoch` whose confirmed transcript hash is the one a report for the next epoch carries. */
export async function seenCommitsLeadingTo(
  db: Querier,
  groupRef: string,
  epoch: string,
  confirmedTranscriptHash: Uint8Array,
): Promise<{ commit: Buffer; proposals: Buffer[] }[]> {
  return db.query(
    `SELECT commit, proposals FROM mls_group_transition
      WHERE group_ref = $1 AND epoch = $2 AND confirmed_transcript_hash = $3 ORDER BY authorized DESC LIMIT 4`,
    [groupRef, epoch, Buffer.from(confirmedTranscriptHash)],
  );
}

/** Commits of epochs the group has left can no longer lead anywhere. */
export async function pruneTransitions(db: Querier, groupRef: string, beforeEpoch: string): Promise<void> {
  await db.query(`DELETE FROM mls_group_transition WHERE group_ref = $1 AND epoch < $2`, [groupRef, beforeEpoch]);
}

/** Records why a report for `epoch` could not be trusted (kept until an org admin re-bases the group). */
export async function flagGroup(db: Querier, ref: string, reason: string, epoch: string): Promise<void> {
  await db.query(`UPDATE mls_group SET continuity_flag = $2, continuity_flagged_epoch = $3, continuity_flagged_at = now() WHERE id = $1`, [
    ref,
    reason,
    epoch,
  ]);
}

/** An org admin lets the owner's next report re-base the group; the flag stays until that report lands. */
export async function authorizeRebase(db: Querier, ref: string, actor: string): Promise<void> {
  await db.query(`UPDATE mls_group SET rebase_authorized_by = $2 WHERE id = $1`, [ref, actor]);
}

/** After an accepted re-base: the group is trusted again. */
export async function clearFlag(db: Querier, ref: string): Promise<void> {
  await db.query(
    `UPDATE mls_group SET continuity_flag = NULL, continuity_flagged_epoch = NULL, continuity_flagged_at = NULL, rebase_authorized_by = NULL WHERE id = $1`,
    [ref],
  );
}

/** The org's flagged groups, most recently flagged first. */
export async function flaggedGroups(
  db: Querier,
  orgId: string,
  limit: number,
): Promise<
  {
    group_id: Buffer;
    epoch: string;
    continuity_flag: string;
    continuity_flagged_epoch: string;
    continuity_flagged_at: Date;
    rebase_authorized_by: string | null;
    ds_client_id: string | null;
  }[]
> {
  return db.query(
    `SELECT group_id, epoch, continuity_flag, continuity_flagged_epoch, continuity_flagged_at, rebase_authorized_by, ds_client_id
       FROM mls_group WHERE org_id = $1 AND continuity_flag IS NOT NULL ORDER BY continuity_flagged_at DESC LIMIT $2`,
    [orgId, limit],
  );
}

/** Flagged groups per org id (for the gauge). */
export async function flaggedCounts(db: Querier): Promise<Map<string, number>> {
  const rows: { org_id: string; n: number }[] = await db.query(
    `SELECT org_id, count(*)::int AS n FROM mls_group WHERE continuity_flag IS NOT NULL GROUP BY org_id`,
  );
  return new Map(rows.map((r) => [r.org_id, r.n]));
}
