import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/until.js';
import { expectNothingLostNothingDoubled, logVerify, populate, query, Replica, tempDir, deprovision, type Population } from './fault-harness.js';

/**
 * issue 14 §6: a replica killed with SIGKILL while it is handling outbox messages, and while it
 * is sequencing the log. The stall is made deterministic by holding a row lock the work needs,
 * so the process is provably killed in the middle of it; then another replica carries on.
 */
describe('kill -9 of a replica mid-work', () => {
  const kek = randomBytes(32).toString('base64');
  let db: TestDatabase;
  let pop: Population;
  let a: Replica;
  let b: Replica;
  let state: Awaited<ReturnType<typeof tempDir>>;
  let blocker: pg.Client;

  /** The backend of the (only) running replica waiting on our lock in a statement starting with `sql`. */
  const stalledOn = (sql: string) =>
    until(
      async () =>
        (
          await query(db.url, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, [
            `${sql}%`,
          ])
        )[0]?.pid as number | undefined,
      20000,
      `a replica to stall in "${sql}"`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    pop = await populate(db, kek, { slug: 'kill', accounts: 6, devicesPerAccount: 2, groups: 3, perGroup: 3 });
    a = await Replica.create('a', db.url, kek);
    b = await Replica.create('b', db.url, kek);
    state = await tempDir('fault-kill-');
    blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
  }, 60000);

  afterAll(async () => {
    await blocker?.end();
    await a?.kill9();
    await b?.kill9();
    await db?.drop();
    await state?.remove();
  });

  it('during outbox handling: the deprovisionings are handled by the next replica, each effect once, and the log verifies', async () => {
    const t0 = Date.now();
    await a.start();
    const stateFile = path.join(state.dir, 'kill.json');
    expect((await logVerify(a.url, pop, stateFile)).code).toBe(0);

    // The CRL refresh handler marks the org's CA stale: holding that row stalls the handler
    // mid-delivery, after the other messages of its batch were handled in the same claim.
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active' FOR UPDATE`, [pop.orgId]);
    const victims = pop.accounts.slice(0, 3);
    for (const v of victims) await deprovision(() => [a], pop, v);
    await stalledOn('UPDATE ca');
    await a.kill9();
    await blocker.query('ROLLBACK');

    const [left] = await query(db.url, `SELECT count(*)::int AS n FROM outbox WHERE org_id = $1 AND delivered_at IS NULL`, [pop.orgId]);
    expect(left.n).toBeGreaterThan(0);

    await b.start();
    const { settledMs } = await expectNothingLostNothingDoubled(b.url, db.url, pop, victims, 60000);
    const verified = await logVerify(b.url, pop, stateFile);
    expect(verified.code).toBe(0);
    expect(verified.err).toMatch(/is consistent with the last seen/);
    process.stdout.write(`fault: kill -9 during outbox handling: settled ${settledMs} ms after restart, test ${Date.now() - t0} ms\n`);
  }, 120000);

  it('during KT sequencing: the staged entries are appended once by the next replica; no fork, the log verifies', async () => {
    const t0 = Date.now();
    await b.kill9();
    await a.start();
    const stateFile = path.join(state.dir, 'kill.json');
    const [{ size: before }] = await query(db.url, `SELECT size::int AS size FROM kt_log WHERE org_id = $1`, [pop.orgId]);

    // Holding the log's head row stalls the sequencer after it wrote the batch's entries and
    // subtree hashes, just before it moves the head and signs the checkpoint.
    await blocker.query('BEGIN');
    await blocker.query(`SELECT org_id FROM kt_log WHERE org_id = $1 FOR UPDATE`, [pop.orgId]);
    const victims = pop.accounts.slice(3, 5);
    for (const v of victims) await deprovision(() => [a], pop, v);
    await stalledOn('UPDATE kt_log');
    await a.kill9();
    await blocker.query('ROLLBACK');

    // Nothing of the killed batch is visible.
    await until(
      async () =>
        (
          await query(
            db.url,
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'UPDATE kt_log%' AND state <> 'idle'`,
          )
        )[0].n === 0,
      10000,
      'the dead batch to roll back',
    );
    const [{ size: after }] = await query(db.url, `SELECT size::int AS size FROM kt_log WHERE org_id = $1`, [pop.orgId]);
    expect(after).toBe(before);
    const [{ n: entries }] = await query(db.url, `SELECT count(*)::int AS n FROM kt_entry WHERE org_id = $1`, [pop.orgId]);
    expect(entries).toBe(before);

    // The same replica comes back (as a crash-looping pod would) and finishes the work.
    await a.start();
    const { settledMs } = await expectNothingLostNothingDoubled(a.url, db.url, pop, pop.accounts.slice(0, 5), 60000);
    const verified = await logVerify(a.url, pop, stateFile);
    expect(verified.code).toBe(0);
    expect(verified.err).toMatch(/is consistent with the last seen/);
    expect(a.output()).not.toMatch(/fork|inconsistent/i);
    process.stdout.write(`fault: kill -9 during KT sequencing: settled ${settledMs} ms after restart, test ${Date.now() - t0} ms\n`);
  }, 120000);
});
