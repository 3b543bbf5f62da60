import type { Querier } from './postgres-hash-reader.js';

/** What the sequencer and the readers need of an org's log (kt_log). */
export interface LogState {
  orgId: string;
  origin: string;
  keyId: string;
  /** During a log key rotation's overlap: the new key, which countersigns every checkpoint. */
  nextKeyId?: string | null;
  overlapUntil?: Date | null;
  size: number;
  rootHash: Uint8Array;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Uint8Array;
  /** The signed note exactly as served. */
  note: string;
}

type LogRow = {
  org_id: string;
  origin: string;
  key_id: string;
  next_key_id: string | null;
  overlap_until: Date | null;
  size: string;
  root_hash: Buffer;
};
const LOG_COLUMNS = 'org_id, origin, key_id, next_key_id, overlap_until, size, root_hash';

function logState(row: LogRow): LogState {
  return {
    orgId: row.org_id,
    origin: row.origin,
    keyId: row.key_id,
    nextKeyId: row.next_key_id,
    overlapUntil: row.overlap_until,
    size: Number(row.size),
    rootHash: new Uint8Array(row.root_hash),
  };
}

export async function findLog(db: Querier, orgId: string, options: { forUpdate?: boolean } = {}): Promise<LogState | null> {
  const [row]: LogRow[] = await db.query(`SELECT ${LOG_COLUMNS} FROM kt_log WHERE org_id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [orgId]);
  return row ? logState(row) : null;
}

/** A rotation's overlap starts: `nextKeyId` countersigns checkpoints until `overlapUntil`. */
export async function startKeyOverlap(db: Querier, orgId: string, nextKeyId: string, overlapUntil: Date): Promise<void> {
  await db.query(`UPDATE kt_log SET next_key_id = $2, overlap_until = $3 WHERE org_id = $1`, [orgId, nextKeyId, overlapUntil]);
}

/** The overlap ends: the new key alone signs from now on. */
export async function promoteNextKey(db: Querier, orgId: string): Promise<void> {
  await db.query(`UPDATE kt_log SET key_id = next_key_id, next_key_id = NULL, overlap_until = NULL WHERE org_id = $1 AND next_key_id IS NOT NULL`, [
    orgId,
  ]);
}

export interface KeyRotationRow {
  fromKeyId: string;
  toKeyId: string;
  statement: string;
  actor: string;
  startedAt: Date;
  overlapUntil: Date;
  finishedAt: Date | null;
}

export async function insertKeyRotation(db: Querier, orgId: string, r: Omit<KeyRotationRow, 'startedAt' | 'finishedAt'>): Promise<void> {
  await db.query(`INSERT INTO kt_key_rotation (org_id, from_key_id, to_key_id, statement, actor, overlap_until) VALUES ($1, $2, $3, $4, $5, $6)`, [
    orgId,
    r.fromKeyId,
    r.toKeyId,
    r.statement,
    r.actor,
    r.overlapUntil,
  ]);
}

export async function finishKeyRotations(db: Querier, orgId: string): Promise<string[]> {
  // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affected]
  const [rows]: [{ from_key_id: string }[], number] = await db.query(
    `UPDATE kt_key_rotation SET finished_at = now() WHERE org_id = $1 AND finished_at IS NULL RETURNING from_key_id`,
    [orgId],
  );
  return rows.map((r) => r.from_key_id);
}

/** The log's rotation statements, oldest first (a verifier follows them in this order). */
export async function keyRotations(db: Querier, orgId: string): Promise<KeyRotationRow[]> {
  const rows: {
    from_key_id: string;
    to_key_id: string;
    statement: string;
    actor: string;
    started_at: Date;
    overlap_until: Date;
    finished_at: Date | null;
  }[] = await db.query(
    `SELECT from_key_id, to_key_id, statement, actor, started_at, overlap_until, finished_at FROM kt_key_rotation WHERE org_id = $1 ORDER BY started_at, to_key_id`,
    [orgId],
  );
  return rows.map((r) => ({
    fromKeyId: r.from_key_id,
    toKeyId: r.to_key_id,
    statement: r.statement,
    actor: r.actor,
    startedAt: r.started_at,
    overlapUntil: r.overlap_until,
    finishedAt: r.finished_at,
  }));
}

export async function insertLog(db: Querier, log: LogState): Promise<void> {
  await db.query(`INSERT INTO kt_log (org_id, origin, key_id, size, root_hash) VALUES ($1, $2, $3, $4, $5)`, [
    log.orgId,
    log.origin,
    log.keyId,
    String(log.size),
    Buffer.from(log.rootHash),
  ]);
}

/** The new size and root a sequenced batch reached (signed by the checkpoint of the same transaction). */
export async function updateLogHead(db: Querier, orgId: string, size: number, rootHash: Uint8Array): Promise<void> {
  await db.query(`UPDATE kt_log SET size = $2, root_hash = $3, updated_at = now() WHERE org_id = $1`, [orgId, String(size), Buffer.from(rootHash)]);
}

export async function insertCheckpoint(db: Querier, orgId: string, checkpoint: StoredCheckpoint): Promise<void> {
  await db.query(`INSERT INTO kt_checkpoint (org_id, size, root_hash, note) VALUES ($1, $2, $3, $4)`, [
    orgId,
    String(checkpoint.size),
    Buffer.from(checkpoint.rootHash),
    checkpoint.note,
  ]);
}

export async function latestCheckpoint(db: Querier, orgId: string): Promise<StoredCheckpoint | null> {
  const [row]: { size: string; root_hash: Buffer; note: string }[] = await db.query(
    `SELECT size, root_hash, note FROM kt_checkpoint WHERE org_id = $1 ORDER BY size DESC LIMIT 1`,
    [orgId],
  );
  return row ? { size: Number(row.size), rootHash: new Uint8Array(row.root_hash), note: row.note } : null;
}

/** Every log's head, in one query (the checkpoint witness sweeps them all every few seconds). */
export async function allLogs(db: Querier): Promise<LogState[]> {
  const rows: LogRow[] = await db.query(`SELECT ${LOG_COLUMNS} FROM kt_log ORDER BY org_id`);
  return rows.map(logState);
}
