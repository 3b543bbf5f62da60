import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, stopEmbeddedPostgres, type EmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.js';
import type { TestDatabase } from '../support/database.js';
import { until } from '../support/until.js';
import { deprovision, expectNothingLostNothingDoubled, logVerify, populate, Replica, tempDir, type Population } from './fault-harness.js';

/**
 * issue 14 §6: PostgreSQL crashes (immediate shutdown, crash recovery on start) and comes back in
 * the middle of a deprovisioning burst. The server is this test's own (never the run's shared
 * one), restarted on the same port; the replicas are not touched. The IdP retries what failed,
 * as IdPs do; after recovery every revocation, log entry and Remove is there, once.
 */
describe('PostgreSQL restarted in the middle of a deprovisioning burst', () => {
  const kek = randomBytes(32).toString('base64');
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: EmbeddedPostgres;
  let port: number;
  let db: TestDatabase;
  let pop: Population;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    tmp = await tempDir('fault-pg-');
    await chmod(tmp.dir, 0o755); // the server runs as `postgres` when the tests run as root
    server = await startEmbeddedPostgres(path.join(tmp.dir, 'pg'));
    port = Number(new URL(server.url).port);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE faults');
    await admin.end();
    const url = new URL(server.url);
    url.pathname = '/faults';
    db = { url: url.toString(), drop: async () => {} };
    pop = await populate(db, kek, { slug: 'pgcrash', accounts: 12, devicesPerAccount: 2, groups: 4, perGroup: 3 });
    replicas = [await Replica.create('a', db.url, kek), await Replica.create('b', db.url, kek)];
    await Promise.all(replicas.map((r) => r.start()));
  }, 90000);

  afterAll(async () => {
    for (const r of replicas) await r.kill9();
    await server?.stop();
    await tmp?.remove();
  });

  it('every revocation, KT entry and Remove appears after recovery, without operator action', async () => {
    const t0 = Date.now();
    const stateFile = path.join(tmp.dir, 'state.json');
    expect((await logVerify(replicas[0]!.url, pop, stateFile)).code).toBe(0);

    let answered = 0;
    const burst = Promise.all(
      pop.accounts.map(async (account, i) => {
        await new Promise((r) => setTimeout(r, i * 150));
        await deprovision(() => replicas, pop, account, 90000);
        answered++;
      }),
    );
    await until(async () => answered >= 3, 30000, 'the burst to be under way');
    const crashedAt = Date.now();
    await stopEmbeddedPostgres(server.dataDir); // immediate: a crash, recovered from WAL on start
    const answeredWhileDown = answered;
    await new Promise((r) => setTimeout(r, 2000));
    server = await startEmbeddedPostgres(server.dataDir, () => {}, { port });
    const restartedAt = Date.now();
    await burst;
    expect(answeredWhileDown).toBeLessThan(pop.accounts.length); // the crash did fall inside the burst

    // The replicas recover by themselves: ready again, no restart, no operator.
    for (const r of replicas) {
      await until(async () => (await fetch(`${r.url}/health/ready`)).status === 200, 30000, `${r.name} ready again`);
      expect(r.process).toBeDefined();
    }
    const { settledMs } = await expectNothingLostNothingDoubled(replicas[1]!.url, db.url, pop, pop.accounts, 60000);
    const verified = await logVerify(replicas[1]!.url, pop, stateFile);
    expect(verified.code).toBe(0);
    process.stdout.write(
      `fault: PostgreSQL crash+restart mid-burst: down ${restartedAt - crashedAt} ms, ` +
        `settled ${settledMs} ms after the burst, test ${Date.now() - t0} ms\n`,
    );
  }, 180000);
});
