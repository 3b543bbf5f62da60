import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.ts';

/**
 * One PostgreSQL server for the whole run: the one named by DATABASE_URL when set (CI and
 * this machine), else an embedded server in a temporary directory. Each test file then makes
 * its own database on it (test/support/database.ts), so files can run in parallel.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'mls-identity-test-'));
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres(path.join(dir, 'pg'));
  process.env.TEST_ADMIN_DATABASE_URL = server.url;
  (globalThis as { __embeddedPostgres?: unknown }).__embeddedPostgres = { server, dir };
}
