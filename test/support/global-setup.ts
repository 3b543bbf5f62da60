import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.ts';

const PREFIX = 'mls-identity-test-';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A run interrupted before its teardown (Ctrl-C) leaves its server behind: stop those. */
async function stopAbandonedServers(): Promise<void> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(tmpdir(), name);
    const owner = Number(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && alive(owner)) continue;
    // Without an owner file yet, it may be another run that is just starting.
    if (!Number.isInteger(owner) && Date.now() - (await stat(dir)).mtimeMs < 60_000) continue;
    await stopEmbeddedPostgres(path.join(dir, 'pg'));
    await rm(dir, { recursive: true, force: true });
  }
}

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
  await stopAbandonedServers();
  const dir = await mkdtemp(path.join(tmpdir(), PREFIX));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  const server = await startEmbeddedPostgres(path.join(dir, 'pg'));
  process.env.TEST_ADMIN_DATABASE_URL = server.url;
  (globalThis as { __embeddedPostgres?: unknown }).__embeddedPostgres = { server, dir };
}
