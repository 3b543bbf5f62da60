import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ed25519NoteSigner, signCheckpoint } from '#tlog';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { KtLogGuard } from '../../apps/identity-service/src/transparency/kt-log-guard.js';
import { KtSequencer } from '../../apps/identity-service/src/transparency/kt-sequencer.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { enqueueKtEvents } from './kt-support.js';

/**
 * The checkpoint witness (KT_WITNESS_DIR) against a log that no longer extends what was
 * published: rolled back and then appended to differently (a fork signed while the witness was
 * away), or a checkpoint of this origin under another key. The end-to-end restore of a pg_dump
 * is test/faults/backup-restore.spec.ts.
 */
describe('the key-transparency log guard', () => {
  let t: TestApp;
  let dir: string;
  let orgId: string;
  let origin: string;

  const logSize = async () => Number((await t.dataSource.query(`SELECT size FROM kt_log WHERE org_id = $1`, [orgId]))[0].size);
  const witnessFile = () => path.join(dir, `${encodeURIComponent(origin)}.checkpoint`);
  const witnessedSize = async () => Number((await readFile(witnessFile(), 'utf8').catch(() => '\n-1')).split('\n')[1]);

  /**
   * What restoring a backup taken at checkpoint `size` does to the log's tables (the rest of the
   * database is irrelevant here).
   */
  async function rollBackTo(size: number): Promise<void> {
    await t.dataSource.transaction(async (m) => {
      await m.query(`DELETE FROM kt_entry WHERE org_id = $1 AND idx >= $2`, [orgId, size]);
      await m.query(`DELETE FROM kt_subtree WHERE org_id = $1 AND (idx + 1) * (1::bigint << level) > $2`, [orgId, size]);
      await m.query(`DELETE FROM kt_checkpoint WHERE org_id = $1 AND size > $2`, [orgId, size]);
      await m.query(
        `UPDATE kt_log l SET size = c.size, root_hash = c.root_hash FROM kt_checkpoint c WHERE l.org_id = $1 AND c.org_id = $1 AND c.size = $2`,
        [orgId, size],
      );
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kt-witness-'));
    t = await createTestApp({ env: { KT_WITNESS_DIR: dir, KT_SEQUENCER_POLL_MS: '20', OUTBOX_POLL_MS: '20' } });
    const org = await t.app.get(OrgsService).create('test', 'guard', 'Guard');
    orgId = org.id;
    origin = (await t.dataSource.query(`SELECT origin FROM kt_log WHERE org_id = $1`, [orgId]))[0].origin;
    // Sweeps run when the test says so (the sequencer still checks and records on its own).
    await t.app.get(KtLogGuard).onApplicationShutdown();
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('records what it publishes, and refuses a forked log for as long as the witness holds the published checkpoint', async () => {
    await enqueueKtEvents(t, orgId, 5);
    await until(async () => (await logSize()) === 5, 10000, 'five entries');
    await until(async () => (await witnessedSize()) === 5, 10000, 'the witness to hold checkpoint 5');
    expect((await call(t.url, 'GET', '/health/ready')).status).toBe(200);

    // A guard-less replica (the witness out of the way) appends other entries to a log restored
    // to its empty state: size 7 now, but its first five entries are not the published ones.
    const saved = `${witnessFile()}.saved`;
    await rename(witnessFile(), saved);
    await t.app.get(KtSequencer).stop();
    await rollBackTo(0);
    t.app.get(KtSequencer).start();
    await enqueueKtEvents(t, orgId, 7);
    await until(async () => (await logSize()) === 7, 10000, 'the forked branch');
    await t.app.get(KtLogGuard).sweep();
    await rename(saved, witnessFile());

    await t.app.get(KtLogGuard).sweep();
    expect(t.app.get(KtLogGuard).refusedLogs()).toEqual([orgId]);
    const ready = await call(t.url, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toBe('kt_log_rolled_back');
    expect(ready.text).toMatch(/1 key-transparency log\(s\) do not extend a checkpoint already published/);
    expect(ready.text).not.toContain('guard'); // public: no org, origin or path
    expect(t.app.get(KtLogGuard).refusal(orgId)).toMatch(/does not extend published checkpoint 5/);
    // Nothing more is signed on the fork.
    await enqueueKtEvents(t, orgId, 2);
    await until(
      async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM kt_pending WHERE org_id = $1`, [orgId]))[0].n === 2,
      10000,
      'staged',
    );
    expect(await t.app.get(KtSequencer).sequenceBatch(orgId)).toBeNull();
    expect(await logSize()).toBe(7);
    expect(await witnessedSize()).toBe(5);

    // The refusal lasts exactly as long as its cause: once the witness no longer holds checkpoint
    // 5 (here an operator who knowingly accepts the fork, docs/operations.md), the log is
    // accepted at the next check and the staged entries are signed.
    await rm(witnessFile());
    await t.app.get(KtLogGuard).sweep();
    expect(t.app.get(KtLogGuard).refusedLogs()).toEqual([]);
    expect((await call(t.url, 'GET', '/health/ready')).status).toBe(200);
    await until(async () => (await logSize()) === 9, 10000, 'the staged entries');
    await until(async () => (await witnessedSize()) === 9, 10000, 'the witness to follow');
  });

  it('refuses a witnessed checkpoint of this origin that another key signed', async () => {
    await enqueueKtEvents(t, orgId, 3);
    await until(async () => (await witnessedSize()) === (await logSize()) && (await logSize()) > 0, 10000, 'witnessed');
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
    const foreign = await signCheckpoint({ origin, size: 1, rootHash: new Uint8Array(32), extensions: [] }, [
      ed25519NoteSigner(origin, raw, async (m) => new Uint8Array(sign(null, m, privateKey))),
    ]);
    const planted = path.join(dir, 'from-somewhere.checkpoint');
    await writeFile(planted, foreign);
    await t.app.get(KtLogGuard).sweep();
    expect(t.app.get(KtLogGuard).refusedLogs()).toEqual([orgId]);
    expect((await call(t.url, 'GET', '/health/ready')).body.reason).toBe('kt_log_rolled_back');
    expect(t.app.get(KtLogGuard).refusal(orgId)).toMatch(
      /from-somewhere\.checkpoint holds a checkpoint of this origin that the log's key does not verify/,
    );
    await rm(planted);
    await t.app.get(KtLogGuard).sweep();
    expect(t.app.get(KtLogGuard).refusedLogs()).toEqual([]);
  });
});
