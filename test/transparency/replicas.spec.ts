import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openCheckpoint, verifyConsistencyProof } from '#tlog';
import { AccountDeprovisioningService } from '../../apps/identity-service/src/accounts/account-deprovisioning.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { KtReader } from '../../apps/identity-service/src/transparency/kt-reader.service.js';
import { KT_SEQUENCER_LOCK_CLASS, KtSequencer } from '../../apps/identity-service/src/transparency/kt-sequencer.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { enqueueKtEvents, mlsid, verifierConfig } from './kt-support.js';
import { until } from '../support/until.js';

describe('key-transparency sequencer across replicas', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let orgId: string;
  let dsToken: string;
  let dir: string;

  const ktTotal = async () =>
    (await a.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'kt.append' AND org_id = $1`, [orgId]))[0].n as number;
  const logSize = async () => Number((await a.dataSource.query(`SELECT size FROM kt_log WHERE org_id = $1`, [orgId]))[0].size);

  /** Every stored checkpoint extends the one before it, and entries are exactly 0..n-1, each source once. */
  async function assertOneLinearLog(): Promise<void> {
    const config = await verifierConfig(a, 'acme', dsToken);
    const rows: { note: string }[] = await a.dataSource.query(`SELECT note FROM kt_checkpoint WHERE org_id = $1 ORDER BY size`, [orgId]);
    const reader = a.app.get(KtReader);
    for (let i = 1; i < rows.length; i++) {
      const older = openCheckpoint(rows[i - 1]!.note, config.verifiers, config.origin).checkpoint;
      const newer = openCheckpoint(rows[i]!.note, config.verifiers, config.origin).checkpoint;
      const proof = await reader.consistencyProof(orgId, older.size, newer.size);
      verifyConsistencyProof(older.size, newer.size, older.rootHash, newer.rootHash, proof);
    }
    const [shape] = await a.dataSource.query(
      `SELECT count(*)::int AS n, min(idx)::int AS lo, max(idx)::int AS hi, count(DISTINCT source_id)::int AS sources FROM kt_entry WHERE org_id = $1`,
      [orgId],
    );
    const size = await logSize();
    expect(shape).toEqual({ n: size, lo: 0, hi: size - 1, sources: size });
    const [{ missing }] = await a.dataSource.query(
      `SELECT count(*)::int AS missing FROM outbox o WHERE o.topic = 'kt.append' AND o.org_id = $1
          AND NOT EXISTS (SELECT 1 FROM kt_entry e WHERE e.source_id = o.id)`,
      [orgId],
    );
    expect(missing).toBe(0);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    // Replicas of one deployment share the key-encryption key (the log key is sealed with it).
    const env = { KT_SEQUENCER_POLL_MS: '20', OUTBOX_POLL_MS: '20', KT_BATCH_SIZE: '40', KEK: randomBytes(32).toString('base64') };
    a = await createTestApp({ db, env });
    b = await createTestApp({ db, env });
    const org = await a.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    // Through the service API, not HTTP: passport strategies are process-wide, so with two apps
    // in one process the bootstrap admin token of only one of them is recognised.
    dsToken = (await a.app.get(CredentialsService).createDsClient('test', org, 'chat', null)).token;
    dir = await mkdtemp(path.join(tmpdir(), 'kt-replicas-'));
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('two replicas appending concurrently produce one linear log that the verifier and the CLI accept', async () => {
    const deprovisionOn = async (t: TestApp, n: number) => {
      for (let i = 0; i < n; i++) {
        const accountId = await insertAccount(t.dataSource, orgId, `user${i}-${t.url}@acme.example`);
        await insertDevice(t.dataSource, orgId, accountId, 1);
        await t.dataSource.transaction((m) =>
          t.app.get(AccountDeprovisioningService).deprovision(m, { orgId, accountId, actor: 'test', mode: 'deactivate' }),
        );
      }
    };
    const burstsOn = async (t: TestApp) => {
      for (let i = 0; i < 20; i++) await enqueueKtEvents(t, orgId, 15);
    };
    await Promise.all([deprovisionOn(a, 10), deprovisionOn(b, 10), burstsOn(a), burstsOn(b)]);
    const total = await ktTotal();
    expect(total).toBe(20 * 2 + 600);
    await until(async () => (await logSize()) === total, 20000, 'all entries sequenced');
    await assertOneLinearLog();
    // Both replicas serve the same log; the CLI follows it through either.
    const state = path.join(dir, 'state.json');
    expect((await mlsid(['log', 'verify', '--url', a.url, '--org', 'acme', '--token', dsToken, '--state', state], dir)).code).toBe(0);
    await enqueueKtEvents(b, orgId, 7);
    await until(async () => (await logSize()) === total + 7, 10000, 'seven more');
    const viaB = await mlsid(['log', 'verify', '--url', b.url, '--org', 'acme', '--token', dsToken, '--state', state], dir);
    expect(viaB.code).toBe(0);
    expect(viaB.err).toMatch(new RegExp(`consistent with the last seen \\(${total}\\)`));
  });

  it('killing the sequencer mid-batch loses no entry and forks nothing; another replica takes over', async () => {
    await a.app.get(KtSequencer).stop();
    await b.app.get(KtSequencer).stop();
    const before = await logSize();
    const state = path.join(dir, 'state.json');
    expect((await mlsid(['log', 'verify', '--url', a.url, '--org', 'acme', '--token', dsToken, '--state', state], dir)).code).toBe(0);
    await enqueueKtEvents(a, orgId, 30);
    // The outbox workers stage the events; nothing sequences them yet.
    await until(async () => (await a.dataSource.query(`SELECT count(*)::int AS n FROM kt_pending`))[0].n === 30, 10000, 'staged');

    // Hold the newest staged row so that A's batch stalls at its very end (removing what it
    // sequenced), after writing entries, hashes, size and a signed checkpoint in its transaction.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM kt_pending WHERE org_id = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE`, [orgId]);
    const batch = a.app
      .get(KtSequencer)
      .sequenceBatch(orgId)
      .catch((e: Error) => e);
    const pid = await until(
      async () => {
        const {
          rows: [row],
        } = await blocker.query(
          `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.granted AND s.wait_event_type = 'Lock'`,
          [KT_SEQUENCER_LOCK_CLASS],
        );
        return row?.pid as number | undefined;
      },
      10000,
      'the sequencer to stall mid-batch',
    );
    // While A holds the log, B's sequencer stands aside rather than appending a second branch.
    expect(await b.app.get(KtSequencer).sequenceBatch(orgId)).toBeNull();
    await blocker.query('SELECT pg_terminate_backend($1)', [pid]);
    await blocker.query('ROLLBACK');
    await blocker.end();
    expect(await batch).toBeInstanceOf(Error);

    // Nothing of the dead batch is visible; every staged event is still there.
    expect(await logSize()).toBe(before);
    expect((await a.dataSource.query(`SELECT count(*)::int AS n FROM kt_entry WHERE org_id = $1`, [orgId]))[0].n).toBe(before);
    expect((await a.dataSource.query(`SELECT count(*)::int AS n FROM kt_pending`))[0].n).toBe(30);
    expect((await a.dataSource.query(`SELECT max(size)::int AS s FROM kt_checkpoint WHERE org_id = $1`, [orgId]))[0].s).toBe(before);

    // B's sequencer takes over (the lock died with A's session) and appends each event once.
    b.app.get(KtSequencer).start();
    await until(async () => (await logSize()) === before + 30, 10000, 'takeover');
    await assertOneLinearLog();
    const res = await mlsid(['log', 'verify', '--url', b.url, '--org', 'acme', '--token', dsToken, '--state', state], dir);
    expect(res.code).toBe(0);
    expect(res.err).toMatch(new RegExp(`checkpoint ${before + 30} is consistent with the last seen \\(${before}\\)`));
    // A recovers too (its pool replaces the killed connection).
    a.app.get(KtSequencer).start();
    await enqueueKtEvents(a, orgId, 2);
    await until(async () => (await logSize()) === before + 32, 10000, 'after recovery');
    await assertOneLinearLog();
  });
});
