import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { call } from '../support/test-app.js';
import { until } from '../support/until.js';
import {
  ADMIN_TOKEN,
  deprovision,
  expectNothingLostNothingDoubled,
  logVerify,
  populate,
  query,
  Replica,
  tempDir,
  type Population,
} from './fault-harness.js';

const run = promisify(execFile);

/** pg_dump and pg_restore of a major version that can dump the run's server (PATH first, then Debian's). */
async function pgTools(serverMajor: number): Promise<{ pgDump: string; pgRestore: string } | null> {
  const dirs = [
    ...(process.env.PATH ?? '').split(':'),
    ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`) : []),
  ];
  for (const dir of dirs) {
    const pgDump = path.join(dir, 'pg_dump');
    const pgRestore = path.join(dir, 'pg_restore');
    if (!existsSync(pgDump) || !existsSync(pgRestore)) continue;
    const version = (await run(pgDump, ['--version'])).stdout;
    const major = Number(/(\d+)(?:\.\d+)?/.exec(version.replace(/^[^\d]*/, ''))?.[1]);
    if (major >= serverMajor) return { pgDump, pgRestore };
  }
  return null;
}

async function serverMajor(url: string): Promise<number> {
  const [row] = await query(url, 'SHOW server_version_num');
  return Math.floor(Number(row.server_version_num) / 10000);
}

/**
 * issue 14 §6 and docs/operations.md "Backup and restore", "Disaster recovery": a pg_dump is
 * restored; when the restored database holds the log as published, the service simply carries
 * on; when it would roll the log back behind a checkpoint already published, the service refuses
 * to sign (log line, metric, readiness reason) instead of forking, and recovers by itself once a
 * backup that holds the published log is restored.
 */
describe('backup and restore of the database', () => {
  const kek = randomBytes(32).toString('base64');
  let db: TestDatabase;
  let pop: Population;
  let a: Replica;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let tools: { pgDump: string; pgRestore: string } | null;

  const dump = async (file: string) => {
    await run(tools!.pgDump, ['--format=custom', '--file', file, '--dbname', db.url]);
  };
  /** The documented restore: service stopped, database recreated empty, pg_restore into it. */
  const restore = async (file: string) => {
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    await run(tools!.pgRestore, ['--no-owner', '--exit-on-error', '--dbname', db.url, file]);
  };
  const logSize = async () => (await query(db.url, `SELECT size::int AS size FROM kt_log WHERE org_id = $1`, [pop.orgId]))[0].size as number;
  const witnessedSize = async (dir: string) => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.checkpoint'));
    if (files.length !== 1) return -1;
    return Number((await readFile(path.join(dir, files[0]!), 'utf8')).split('\n')[1]);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    tools = await pgTools(await serverMajor(db.url));
    tmp = await tempDir('fault-restore-');
    pop = await populate(db, kek, { slug: 'restore', accounts: 4, devicesPerAccount: 1, groups: 1, perGroup: 4 });
    a = await Replica.create('a', db.url, kek, { KT_WITNESS_DIR: path.join(tmp.dir, 'witness') });
  }, 60000);

  afterAll(async () => {
    await a?.kill9();
    await db?.drop();
    await tmp?.remove();
  });

  it('restores a pg_dump; refuses to sign over a rolled-back log, says so, and resumes once the published log is restored', async () => {
    if (!tools) throw new Error(`no pg_dump/pg_restore for PostgreSQL ${await serverMajor(db.url)} on PATH or in /usr/lib/postgresql`);
    const t0 = Date.now();
    const witness = path.join(tmp.dir, 'witness');
    const stateFile = path.join(tmp.dir, 'auditor.json');
    await a.start();
    await deprovision(() => [a], pop, pop.accounts[0]!);
    await expectNothingLostNothingDoubled(a.url, db.url, pop, pop.accounts.slice(0, 1));
    expect((await logVerify(a.url, pop, stateFile)).code).toBe(0);
    const older = await logSize();
    await until(async () => (await witnessedSize(witness)) === older, 10000, 'the witness to record the published checkpoint');

    // 1. Backup, then an ordinary restore of it: nothing was published since, the service carries on.
    const first = path.join(tmp.dir, 'first.dump');
    await dump(first);
    await a.stop();
    await restore(first);
    await a.start();
    expect((await logVerify(a.url, pop, stateFile)).code).toBe(0);

    // 2. More is published (and witnessed), and backed up.
    await deprovision(() => [a], pop, pop.accounts[1]!);
    await expectNothingLostNothingDoubled(a.url, db.url, pop, pop.accounts.slice(0, 2));
    const newer = await logSize();
    expect(newer).toBeGreaterThan(older);
    await until(async () => (await witnessedSize(witness)) === newer, 10000, 'the witness to record the newer checkpoint');
    expect((await logVerify(a.url, pop, stateFile)).code).toBe(0);
    const second = path.join(tmp.dir, 'second.dump');
    await dump(second);

    // 3. Disaster recovery from the older backup would roll the log back behind checkpoint `newer`.
    await a.stop();
    await restore(first);
    a.spawn();
    const unready = await until(
      async () => {
        const res = await call(a.url, 'GET', '/health/ready').catch(() => undefined);
        return res?.status === 503 && res.body.reason === 'kt_log_rolled_back' ? res : undefined;
      },
      30000,
      'readiness to name the rolled-back log',
    );
    expect(unready.text).not.toContain(pop.slug); // readiness is public: the log line says which and why
    await until(
      async () =>
        new RegExp(
          `key-transparency log [^ ]+/kt/${pop.slug}: refusing to sign a checkpoint that does not extend one already published: ` +
            `the database holds ${older} entries, but checkpoint ${newer} \\(\\S+\\.checkpoint\\) was already published`,
        ).test(a.output()),
      10000,
      'the log line naming both sizes',
    );
    expect((await call(a.url, 'GET', '/metrics', { token: ADMIN_TOKEN })).status).toBe(404);
    expect((await call(a.metricsUrl, 'GET', '/metrics')).text).toMatch(/^kt_logs_refused 1$/m);

    // Revocation itself still works (the CRL, the status), but no checkpoint is signed over the
    // rolled-back log: the new entry waits, staged, and auditors still see checkpoint `older`.
    await deprovision(() => [a], pop, pop.accounts[2]!);
    await until(
      async () => (await query(db.url, `SELECT count(*)::int AS n FROM kt_pending WHERE org_id = $1`, [pop.orgId]))[0].n > 0,
      10000,
      'staged',
    );
    await new Promise((r) => setTimeout(r, 1000)); // proving an absence: give the sequencer several polls to (not) sign
    expect(await logSize()).toBe(older);
    const [{ max }] = await query(db.url, `SELECT max(size)::int AS max FROM kt_checkpoint WHERE org_id = $1`, [pop.orgId]);
    expect(max).toBe(older);
    expect(await witnessedSize(witness)).toBe(newer);
    const behind = await logVerify(a.url, pop, stateFile);
    expect(behind.code).not.toBe(0); // an auditor that saw `newer` notices the rollback as well

    // 4. The backup that holds the published log is restored: ready again, signing resumes, linear.
    await a.stop();
    await restore(second);
    await a.start();
    expect(await logSize()).toBe(newer);
    // The deprovisioning of step 3 was made on the discarded database: the IdP sends it again
    // (a SCIM re-sync), as after any restore.
    await deprovision(() => [a], pop, pop.accounts[2]!);
    await deprovision(() => [a], pop, pop.accounts[3]!);
    await expectNothingLostNothingDoubled(a.url, db.url, pop, pop.accounts);
    const verified = await logVerify(a.url, pop, stateFile);
    expect(verified.code).toBe(0);
    expect(verified.err).toMatch(new RegExp(`consistent with the last seen \\(${newer}\\)`));
    process.stdout.write(`fault: backup/restore with rollback refusal: test ${Date.now() - t0} ms\n`);
  }, 180000);
});
