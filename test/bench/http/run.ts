import 'reflect-metadata';
import autocannon, { type Options, type Result } from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { encodeKeyEvent } from '#tlog';
import { createApp } from '../../../apps/identity-service/src/app-factory.js';
import { loadConfig } from '../../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../../apps/identity-service/src/database/migrate.js';
import { DeviceCertificationService } from '../../../apps/identity-service/src/enrollment/device-certification.service.js';
import { AuditorTokensService } from '../../../apps/identity-service/src/orgs/auditor-tokens.service.js';
import { CredentialsService } from '../../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../../apps/identity-service/src/orgs/orgs.service.js';
import { KtSequencer } from '../../../apps/identity-service/src/transparency/kt-sequencer.js';
import { deviceKeys } from '../../support/device-client.js';
import { insertAccount } from '../../support/fixtures.js';
import { benchDatabase, line } from '../bench-support.js';

/**
 * `npm run bench:http`: the HTTP rows of issue #17, over loopback with autocannon, against the
 * built service running as its own process (production mode, default log level), each beside
 * its target and the bare cost it competes with: `bare-server.ts`, plain node:http doing the
 * same work, measured in the same run. Prints the service's RSS idle and its high-water mark.
 *
 * Environment: DATABASE_URL (a server to create the bench database on; else an embedded one),
 * BENCH_HTTP_SECONDS (per row, default 10), BENCH_HTTP_KT_ENTRIES (default 1000),
 * BENCH_HTTP_NODE_ARGS (node flags for the service, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * Not part of the test suite: it prints numbers, it does not pass or fail.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN_JS = path.resolve(here, '../../../apps/identity-service/src/main.js');
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const KT_ENTRIES = Number(process.env.BENCH_HTTP_KT_ENTRIES ?? 1000);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Kilobytes of a /proc/<pid>/status field (VmRSS now, VmHWM the high-water mark). */
function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** Seeds an org with a DS client, an auditor, an issued device chain and a log of KT_ENTRIES entries. */
async function seed(url: string, env: Record<string, string>) {
  process.env.KT_SEQUENCER = 'off';
  process.env.OUTBOX_WORKER = 'off';
  const app = await createApp(loadConfig({ ...env, DATABASE_URL: url, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' }), url);
  await app.init();
  try {
    const ds = app.get<DataSource>(getDataSourceToken());
    const org = await app.get(OrgsService).create('bench', 'bench', 'Bench');
    const dsToken = (await app.get(CredentialsService).createDsClient('bench', org, 'bench', null)).token;
    const auditorToken = (await app.get(AuditorTokensService).create('bench', org, 'bench')).token;
    const accountId = await insertAccount(ds, org.id, 'bench@bench.example');
    const k = await deviceKeys(1);
    const [device] = await ds.query(
      `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
       VALUES ($1, $2, 'b', 'linux', 1, $3, $4) RETURNING id`,
      [org.id, accountId, Buffer.from(k.spki), randomBytes(32)],
    );
    const issued = await ds.transaction((m) => app.get(DeviceCertificationService).certify(m, { orgId: org.id, deviceId: device.id }));
    const entries = Array.from({ length: KT_ENTRIES }, (_, i) =>
      Buffer.from(
        encodeKeyEvent({
          type: 'certificate_issued',
          org: org.id,
          account: randomUUID(),
          device: randomUUID(),
          certificateSha256: randomBytes(32),
          mlsSignatureKeySha256: randomBytes(32),
          timestamp: Date.now() + i,
        }),
      ),
    );
    await ds.query(`INSERT INTO kt_pending (org_id, source_id, entry, account_id) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::text[])`, [
      org.id,
      entries.map((_, i) => String(2_000_000_000 + i)),
      entries,
      entries.map(() => randomUUID()),
    ]);
    const sequencer = app.get(KtSequencer);
    for (;;) {
      const batch = await sequencer.sequenceBatch(org.id);
      if (!batch || batch.to === batch.from) break;
    }
    return { org: org.slug, dsToken, auditorToken, chain: issued.chainDer.map(b64) };
  } finally {
    await app.close();
    delete process.env.KT_SEQUENCER;
    delete process.env.OUTBOX_WORKER;
  }
}

function startService(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const nodeArgs = process.env.BENCH_HTTP_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, MAIN_JS], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return { child, output: () => err };
}

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Target {
  name: string;
  connections: number;
  service: Options;
  bare: Options;
  target: string;
  expect?: number;
}

async function measure(options: Options, connections: number, expect: number): Promise<Result> {
  // A short warm-up (JIT, caches, connection pools), then the measured run.
  await autocannon({ ...options, connections, duration: 2 });
  const result = await autocannon({ ...options, connections, duration: SECONDS });
  const wrong = Object.entries(result.statusCodeStats).filter(([code]) => Number(code) !== expect);
  if (wrong.length > 0 || result.errors > 0) {
    throw new Error(`${options.url}: unexpected answers ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors`);
  }
  return result;
}

export default async function bench(): Promise<void> {
  const db = await benchDatabase();
  await runMigrations(db.url);
  const env = { NODE_ENV: 'production', KEK: randomBytes(32).toString('base64'), ADMIN_TOKEN: randomBytes(24).toString('hex') };
  const seeded = await seed(db.url, env);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = startService({ ...env, DATABASE_URL: db.url, PORT: String(port), METRICS_PORT: String(await freePort()) });
  let bare: ChildProcess | undefined;
  try {
    await waitFor(`${base}/health/ready`, 60_000);
    const dsAuth = { authorization: `Bearer ${seeded.dsToken}` };
    const auditorAuth = { authorization: `Bearer ${seeded.auditorToken}` };
    const checkpoint = await (await fetch(`${base}/kt/${seeded.org}/checkpoint`, { headers: auditorAuth })).text();
    const tileRes = await fetch(`${base}/kt/${seeded.org}/tile/0/000`, { headers: auditorAuth });
    if (tileRes.status !== 200) throw new Error(`tile/0/000: HTTP ${tileRes.status}`);
    const tile = Buffer.from(await tileRes.arrayBuffer());
    const etag = tileRes.headers.get('etag');

    bare = spawn(
      process.execPath,
      [
        path.join(here, 'bare-server.js'),
        JSON.stringify({ tokens: [seeded.dsToken, seeded.auditorToken], leafB64: seeded.chain[0], checkpoint, tileB64: b64(tile) }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const barePort = await new Promise<number>((resolve) => bare!.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const bareBase = `http://127.0.0.1:${barePort}`;
    const pid = service.child.pid!;
    const idleKb = procKb(pid, 'VmRSS');

    const statusBody = JSON.stringify({ chains: [seeded.chain] });
    const json = { 'content-type': 'application/json' };
    const rows: Target[] = [
      {
        name: 'DS status check, one chain (POST /v1/certificates/status)',
        connections: 50,
        service: { url: `${base}/v1/certificates/status`, method: 'POST', headers: { ...dsAuth, ...json }, body: statusBody },
        bare: { url: `${bareBase}/status`, method: 'POST', headers: { ...dsAuth, ...json }, body: statusBody },
        target: '>=10000/s p99<=5ms',
      },
      {
        name: 'KT checkpoint (GET /kt/{org}/checkpoint)',
        connections: 20,
        service: { url: `${base}/kt/${seeded.org}/checkpoint`, headers: auditorAuth },
        bare: { url: `${bareBase}/checkpoint`, headers: auditorAuth },
        target: '>=10000/s',
      },
      {
        name: 'KT full tile (GET /kt/{org}/tile/0/000)',
        connections: 20,
        service: { url: `${base}/kt/${seeded.org}/tile/0/000`, headers: auditorAuth },
        bare: { url: `${bareBase}/tile`, headers: auditorAuth },
        target: '>=10000/s',
      },
      ...(etag
        ? [
            {
              name: 'KT full tile revalidated (If-None-Match, 304)',
              connections: 20,
              service: { url: `${base}/kt/${seeded.org}/tile/0/000`, headers: { ...auditorAuth, 'if-none-match': etag } },
              bare: { url: `${bareBase}/tile`, headers: auditorAuth },
              target: '>=10000/s',
              expect: 304,
            },
          ]
        : []),
      {
        name: 'liveness (GET /health/live)',
        connections: 50,
        service: { url: `${base}/health/live` },
        bare: { url: `${bareBase}/live` },
        target: '-',
      },
    ];

    process.stdout.write(`\n## http (${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${SECONDS} s per run)\n`);
    line('service RSS idle', { mib: Math.round(idleKb / 1024), target_mib: 250 });
    for (const row of rows) {
      const s = await measure(row.service, row.connections, row.expect ?? 200);
      const b = await measure(row.bare, row.connections, 200);
      line(row.name, {
        c: row.connections,
        req_s: Math.round(s.requests.average),
        p50_ms: s.latency.p50,
        p99_ms: s.latency.p99,
        target: row.target,
        bare_req_s: Math.round(b.requests.average),
        bare_p99_ms: b.latency.p99,
        of_bare: `${Math.round((100 * s.requests.average) / b.requests.average)}%`,
      });
    }
    line('service RSS high-water (VmHWM)', { mib: Math.round(procKb(pid, 'VmHWM') / 1024), target_mib: 250 });
  } catch (e) {
    process.stderr.write(service.output());
    throw e;
  } finally {
    bare?.kill();
    service.child.kill('SIGTERM');
    await new Promise((resolve) => service.child.once('exit', resolve));
    await db.drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bench();
