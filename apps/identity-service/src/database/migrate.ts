import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';

/** Any value, as long as every replica uses the same one. */
const MIGRATION_LOCK = 0x6d6c7369; // 'mlsi'

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so replicas starting together
 * (or the Helm migration Job racing a pod) apply each migration exactly once.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(url, 2) });
  await ds.initialize();
  try {
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      await runner.release();
    }
  } finally {
    await ds.destroy();
  }
}
