import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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
 * SoftHSM2 reads SOFTHSM2_CONF from the real process environment when its module initializes,
 * and Jest gives each test file a copy of process.env: so the configuration (one token store
 * for the run; test/support/softhsm.ts adds a token per test) is set here, before the workers
 * start, and they inherit it.
 */
async function softHsmStore(): Promise<void> {
  if (process.env.SOFTHSM2_CONF) return;
  const dir = await mkdtemp(path.join(tmpdir(), 'mls-identity-softhsm-'));
  await mkdir(path.join(dir, 'tokens'));
  await writeFile(
    path.join(dir, 'softhsm2.conf'),
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = path.join(dir, 'softhsm2.conf');
  (globalThis as { __softHsmDir?: string }).__softHsmDir = dir;
}

/**
 * One PostgreSQL server for the whole run: the one named by DATABASE_URL when set (CI and
 * this machine), else an embedded server in a temporary directory. Each test file then makes
 * its own database on it (test/support/database.ts), so files can run in parallel.
 */
export default async function globalSetup(): Promise<void> {
  await softHsmStore();
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
