import type { Querier } from './postgres-hash-reader.js';

/** What the sequencer and the readers need of an org's log (kt_log). */
export interface LogState {
  orgId: string;
  origin: string;
  keyId: string;
  size: number;
  rootHash: Uint8Array;
}

export interface StoredCheckpoint {
  size: number;
  rootHash: Uint8Array;
  /** The signed note exactly as served. */
  note: string;
}

export async function findLog(db: Querier, orgId: string): Promise<LogState | null> {
  const [row]: { org_id: string; origin: string; key_id: string; size: string; root_hash: Buffer }[] = await db.query(
    `SELECT org_id, origin, key_id, size, root_hash FROM kt_log WHERE org_id = $1`,
    [orgId],
  );
  return row ? { orgId: row.org_id, origin: row.origin, keyId: row.key_id, size: Number(row.size), rootHash: new Uint8Array(row.root_hash) } : null;
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
  const rows: { org_id: string; origin: string; key_id: string; size: string; root_hash: Buffer }[] = await db.query(
    `SELECT org_id, origin, key_id, size, root_hash FROM kt_log ORDER BY org_id`,
  );
  return rows.map((row) => ({
    orgId: row.org_id,
    origin: row.origin,
    keyId: row.key_id,
    size: Number(row.size),
    rootHash: new Uint8Array(row.root_hash),
  }));
}
