import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevCredentials } from '../dev-credentials.js';

/** The built service next to this file in dist/ (`npm run demo` builds first, as `npm start` does). */
const SERVICE_MAIN = fileURLToPath(new URL('../../../identity-service/src/main.js', import.meta.url));

/** Variables that would point the service elsewhere: the demo always runs the embedded default. */
const IGNORED_ENV = ['DATABASE_URL', 'NODE_ENV', 'KEK', 'ADMIN_TOKEN', 'PUBLIC_URL', 'PORT', 'DEV_IDP_PORT', 'DATA_DIR', 'KEY_STORE', 'METRICS_PORT'];

export interface DemoService {
  /** The working directory of the run: `.data/` below it holds the database and dev credentials. */
  workDir: string;
  credentials: Required<Pick<DevCredentials, 'baseUrl' | 'org' | 'adminToken' | 'scimToken' | 'dsToken'>> & {
    idp: { issuer: string; appClientId: string };
  };
  /** Recent service output, for a failure report. */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitReady(baseUrl: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the service exited with code ${child.exitCode}: ${output().trim().split('\n').slice(-3).join(' | ')}`);
    try {
      if ((await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service was not ready within ${timeoutMs / 1000} s`);
}

/**
 * Starts the service as `npm start` does, but in a fresh temporary data directory on free
 * ports, so it never meets a running `npm start` or its `./.data`.
 */
export async function startDemoService(): Promise<DemoService> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'mlsid-demo-'));
  // the embedded PostgreSQL runs as its own OS user under root: it must reach its directory
  await chmod(workDir, 0o755);
  const dataDir = path.join(workDir, '.data');
  const [port, idpPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of IGNORED_ENV) delete env[name];
  const child = spawn(process.execPath, [SERVICE_MAIN], {
    cwd: workDir,
    // METRICS_PORT=0: the demo never scrapes, and a fixed port would collide with a running service.
    env: { ...env, PORT: String(port), DEV_IDP_PORT: String(idpPort), METRICS_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString('utf8')).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    const baseUrl = `http://localhost:${port}`;
    await waitReady(baseUrl, child, () => out, 90_000);
    const credentials = JSON.parse(await readFile(path.join(dataDir, 'dev-credentials.json'), 'utf8')) as DemoService['credentials'];
    return { workDir, credentials, output: () => out, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
