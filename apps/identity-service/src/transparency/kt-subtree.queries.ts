import type { SubtreeHash } from '#tlog';
import type { Querier } from './postgres-hash-reader.js';

/**
 * kt_subtree: the hash of every complete subtree of an org's tree, written once when a batch
 * completes it. Proofs and roots read it through postgresHashReader (postgres-hash-reader.ts).
 */
export async function insertSubtrees(db: Querier, orgId: string, subtrees: readonly SubtreeHash[]): Promise<void> {
  await db.query(
    `INSERT INTO kt_subtree (org_id, level, idx, hash)
     SELECT $1, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[])`,
    [orgId, subtrees.map((s) => s.level), subtrees.map((s) => String(s.index)), subtrees.map((s) => Buffer.from(s.hash))],
  );
}

/** Hashes of level `level` from index `first`, at most `width` of them, in order (a tile's body). */
export async function levelHashes(db: Querier, orgId: string, level: number, first: number, width: number): Promise<Uint8Array[]> {
  const rows: { hash: Buffer }[] = await db.query(
    `SELECT hash FROM kt_subtree WHERE org_id = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx`,
    [orgId, level, String(first), String(first + width)],
  );
  return rows.map((r) => new Uint8Array(r.hash));
}
