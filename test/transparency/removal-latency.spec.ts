// Issue 12 §5: every removal proposal issued and every removal observed committed is a
// key-transparency log entry, and `mlsid log removal-latency` measures latency from the
// verified log alone.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCommit, encodeMlsMessage, type ClientState, type Extension } from 'ts-mls';
import { admitExternalRemoveProposal } from '#mls';
import { decodeKeyEvent, encodeKeyEvent, type KeyEvent } from '#tlog';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, mlsClient, type MlsClient, publishedExternalSenders, statusApiRevocation, suite } from '../removals/mls-clients.js';
import { checkpointSize, mlsid } from './kt-support.js';

describe('removal latency in the key-transparency log', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let externalSenders: Extension;
  let dir: string;
  let alice: MlsClient;

  beforeAll(async () => {
    t = await createTestApp({ env: { KT_SEQUENCER_POLL_MS: '20', OUTBOX_POLL_MS: '20' } });
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    alice = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'alice@acme.example'), 'alice');
    externalSenders = await publishedExternalSenders(t.url, 'acme');
    dir = await mkdtemp(path.join(tmpdir(), 'mlsid-removals-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function groupWith(name: string, other: MlsClient): Promise<ClientState> {
    const { state, epoch1 } = await ds.reportedGroup(name, alice, [other], externalSenders);
    expect(epoch1.body).toMatchObject({ epoch: '1', members: 2 });
    return state;
  }

  const revoke = (deviceId: string) =>
    t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );

  /** Every removal entry of the org's log, once every kt.append written so far is sequenced. */
  async function removalEntries(): Promise<KeyEvent[]> {
    const [{ total }] = await t.dataSource.query(`SELECT count(*)::int AS total FROM outbox WHERE topic = 'kt.append' AND org_id = $1`, [orgId]);
    await until(async () => (await checkpointSize(t, 'acme')) >= total, 30_000, `${total} log entries`);
    const rows: { entry: Buffer }[] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1 ORDER BY idx`, [orgId]);
    return rows.map((r) => decodeKeyEvent(new Uint8Array(r.entry))).filter((e) => e.removal !== undefined);
  }

  it('logs the proposal and the observed commit with group, epoch, leaf, device and times; mlsid reports the latency', async () => {
    const cs = await suite();
    const bob = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'bob@acme.example'), 'bob');
    let state = await groupWith('room-latency', bob);
    const groupHash = createHash('sha256').update(state.groupContext.groupId).digest();
    await revoke(bob.deviceId);
    const first = await until(
      async () => {
        const page = (await ds.feed('0', 1)).body;
        return page.removals.length > 0 && page;
      },
      5000,
      'the proposal',
    );
    const [proposal] = first.removals;

    // the group moves on once without removing Bob: the proposal is signed again for epoch 2
    const unrelated = await createCommit({ state, cipherSuite: cs }, { wireAsPublicMessage: true });
    await ds.authorize(state, encodeMlsMessage(unrelated.commit));
    state = unrelated.newState;
    expect((await ds.report(state)).body.removals).toMatchObject({ resigned: 1 });
    const fresh = (await ds.feed(first.cursor)).body.removals[0];
    const admitted = await admitExternalRemoveProposal(
      state,
      new Uint8Array(Buffer.from(fresh.proposal, 'base64')),
      statusApiRevocation(t.url, ds.token),
    );
    if (!admitted.admitted) throw new Error(admitted.reason);
    const commit = await createCommit({ state: admitted.state, cipherSuite: cs }, { wireAsPublicMessage: true, ratchetTreeExtension: true });
    await ds.authorize(state, encodeMlsMessage(commit.commit));
    expect((await ds.report(commit.newState)).body.removals).toMatchObject({ committed: 1 });

    const entries = await removalEntries();
    expect(entries.map((e) => [e.type, e.device, e.reason, e.removal!.epoch, e.removal!.leafIndex])).toEqual([
      ['removal_proposed', bob.deviceId, 'keyCompromise', 1, 1],
      ['removal_proposed', bob.deviceId, 'keyCompromise', 2, 1],
      ['removal_committed', bob.deviceId, 'keyCompromise', 3, 1],
    ]);
    for (const e of entries) {
      expect(Buffer.from(e.removal!.groupIdSha256).equals(groupHash)).toBe(true);
      // the planning time is the first proposal's, in every entry about the removal
      expect(e.removal!.plannedAt).toBe(Date.parse(proposal.plannedAt));
      expect(e.timestamp).toBeGreaterThanOrEqual(e.removal!.plannedAt);
      expect(e.account).toBeUndefined();
    }
    // the group id itself is nowhere in the log
    const raw: { entry: Buffer }[] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1`, [orgId]);
    expect(raw.some((r) => r.entry.includes(Buffer.from('room-latency')))).toBe(false);
    const [row] = await t.dataSource.query(`SELECT committed_at FROM removal WHERE id = $1`, [fresh.id]);
    const latency = entries[2]!.timestamp - entries[2]!.removal!.plannedAt;
    // logged when the report's reconciliation ran, after its transaction began (committed_at)
    expect(entries[2]!.timestamp).toBeGreaterThanOrEqual(row.committed_at.getTime() - 50);
    expect(entries[2]!.timestamp).toBeLessThanOrEqual(Date.now());

    // an open one: Carol revoked in another group, never committed
    const carol = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'carol@acme.example'), 'carol');
    await groupWith('room-open', carol);
    await revoke(carol.deviceId);
    await until(async () => (await removalEntries()).length === 4, 30_000, 'the second proposal in the log');

    const args = ['--url', t.url, '--org', 'acme', '--token', ds.token, '--state', path.join(dir, 'state.json')];
    const run = await mlsid(['log', 'removal-latency', ...args], dir);
    expect(run.code).toBe(0);
    const lines = run.out.split('\n');
    expect(lines[0]).toBe('removals 2 (3 proposals signed), committed 1, open 1');
    const seconds = (latency / 1000).toFixed(3);
    expect(lines[1]).toBe(`latency count 1 p50 ${seconds} s p90 ${seconds} s p99 ${seconds} s max ${seconds} s`);
    expect(lines[2]).toMatch(/^oldest open removal planned \S+Z \(\d+\.\d{3} s ago\)$/);
    expect(lines[3]).toMatch(/^ok \S+ size \d+$/);

    const json = await mlsid(['log', 'removal-latency', ...args, '--json'], dir);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      removals: 2,
      proposals: 3,
      committed: 1,
      open: { count: 1 },
      percentilesMs: { p50: latency, max: latency },
    });

    // the command verifies before it counts: a forked log exits 2 like log verify
    const forged = encodeKeyEvent({ type: 'device_enrolled', org: orgId, device: 'forged', timestamp: 1 });
    await t.dataSource.query(`UPDATE kt_entry SET entry = $2 WHERE org_id = $1 AND idx = 0`, [orgId, Buffer.from(forged)]);
    const tampered = await mlsid(['log', 'removal-latency', ...args], dir);
    expect(tampered.code).toBe(2);
  }, 90_000);

  it('refuses unknown options', async () => {
    const bad = await mlsid(['log', 'removal-latency', '--url', t.url, '--org', 'acme', '--account', 'x'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unknown option --account');
  });
});
