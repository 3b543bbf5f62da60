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
  'orgId' | 'groupId' | 'ciphersuite' | 'epoch' | 'groupInfo' | 'groupContext' | 'externalSenderListed' | 'updatedAt'
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

/** The roster is replaced as a whole by every report. */
export async function replaceMembers(m: EntityManager, ref: string, members: readonly GroupMemberRow[]): Promise<void> {
  await m.query(`DELETE FROM mls_group_member WHERE group_ref = $1`, [ref]);
  await m.query(
    `INSERT INTO mls_group_member (group_ref, leaf_index, fingerprint, device_id, account_id, identity)
     SELECT $1, * FROM unnest($2::int[], $3::bytea[], $4::uuid[], $5::uuid[], $6::text[])`,
    [
      ref,
      members.map((x) => x.leafIndex),
      members.map((x) => x.fingerprint),
      members.map((x) => x.deviceId),
      members.map((x) => x.accountId),
      members.map((x) => x.identity),
    ],
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
    select: { id: true, orgId: true, groupId: true, ciphersuite: true, epoch: true, externalSenderListed: true, createdAt: true, updatedAt: true },
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

/** Account of each leaf as registered (null: not one of our devices). */
export async function leafAccounts(db: Querier, ref: string): Promise<Map<number, string | null>> {
  const rows: { leaf_index: number; account_id: string | null }[] = await db.query(
    `SELECT leaf_index, account_id FROM mls_group_member WHERE group_ref = $1`,
    [ref],
  );
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
