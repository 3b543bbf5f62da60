import type { HashReader, Subtree } from '#tlog';

/** Anything that runs SQL: the DataSource, or a transaction's EntityManager. */
export interface Querier {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's own query() signature, so both fit
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** A stored hash the tree needs is absent: the storage broke an invariant, not the caller. */
export class KtStorageCorrupt extends Error {
  readonly code = 'ERR_KT_STORAGE_CORRUPT';
}

/**
 * libs/tlog's HashReader over kt_subtree: every subtree a proof or root needs, in one query
 * (one round trip), answered in request order.
 */
export function postgresHashReader(db: Querier, orgId: string): HashReader {
  return {
    async readHashes(subtrees: readonly Subtree[]) {
      if (subtrees.length === 0) return [];
      const rows: { hash: Buffer | null }[] = await db.query(
        `SELECT t.hash FROM unnest($2::smallint[], $3::bigint[]) WITH ORDINALITY AS s(level, idx, ord)
           LEFT JOIN kt_subtree t ON t.org_id = $1 AND t.level = s.level AND t.idx = s.idx
          ORDER BY s.ord`,
        [orgId, subtrees.map((s) => s.level), subtrees.map((s) => String(s.index))],
      );
      return rows.map((r, i) => {
        if (r.hash === null) throw new KtStorageCorrupt(`subtree ${subtrees[i]!.level}/${subtrees[i]!.index} is not stored`);
        return new Uint8Array(r.hash);
      });
    },
  };
}
