import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type AppConfig, loadConfig } from '../../apps/identity-service/src/config/app-config.js';
import { startEmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.js';

/** A fresh database for one benchmark: on DATABASE_URL's server, else an embedded one. */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stopServer: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlsid-bench-'));
    await chmod(dir, 0o755);
    const server = await startEmbeddedPostgres(path.join(dir, 'pg'));
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const name = `mlsid_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
      await stopServer?.();
    },
  };
}

/**
 * A production config for one benchmark's in-process service on `databaseUrl`: fresh KEK and
 * admin token, OS-chosen ports (other benchmarks may run beside it), silent logs.
 */
export function benchConfig(databaseUrl: string): AppConfig {
  return loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    KEK: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i];
}

/** Times `fn` `n` times (sequentially), returning per-call latencies in ms, sorted. */
export async function timeEach(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out.sort((a, b) => a - b);
}

export function line(name: string, fields: Record<string, string | number>): void {
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v}`);
  process.stdout.write(`${name.padEnd(44)} ${parts.join('  ')}\n`);
}

export function latencyFields(sorted: number[]): Record<string, number> {
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted[sorted.length - 1] };
}
