import type { DataSource } from 'typeorm';
import type { SealedColumn } from './sealed-columns.js';
import type { SecretBox } from './secret-box.js';

export interface RewrapResult {
  /** Values re-wrapped, per `table.column`. */
  rewrapped: Record<string, number>;
}

/**
 * KEK rotation: every sealed value is opened with the old KEK and sealed again with the new
 * one, in one transaction, so the database never holds values under two KEKs. Rows are
 * locked as they are read; a value the old KEK cannot open aborts the whole rotation (a wrong
 * old KEK, or tampered data) and nothing changes. The old KEK is used here and nowhere else.
 */
export async function rewrapSealedData(
  dataSource: DataSource,
  columns: readonly SealedColumn[],
  from: SecretBox,
  to: SecretBox,
): Promise<RewrapResult> {
  const rewrapped: Record<string, number> = {};
  await dataSource.transaction(async (m) => {
    for (const { table, column, context } of columns) {
      const t = `"${table.replaceAll('"', '""')}"`;
      const c = `"${column.replaceAll('"', '""')}"`;
      const rows: { id: string; sealed: Buffer }[] = await m.query(
        `SELECT id::text AS id, ${c} AS sealed FROM ${t} WHERE ${c} IS NOT NULL FOR UPDATE`,
      );
      for (const row of rows) {
        const plain = from.open(row.sealed, context(row.id));
        try {
          await m.query(`UPDATE ${t} SET ${c} = $1 WHERE id::text = $2`, [to.seal(plain, context(row.id)), row.id]);
        } finally {
          plain.fill(0);
        }
      }
      rewrapped[`${table}.${column}`] = rows.length;
    }
  });
  return { rewrapped };
}
