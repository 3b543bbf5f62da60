import { acceptAll, createCommit, emptyPskIndex, encodeMlsMessage, joinGroup, processMessage, type ClientState, type Extension } from 'ts-mls';
import { createGroupWithExternalSenders } from '#mls';
import {
  admitExternalRemoveProposal,
  admitExternalSendersSwap,
  checkExternalRemoveProposal,
  decodeKeyEventSafe,
  externalSendersOf,
  withNamedExternalSenders,
} from './rotation-helpers.js';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, groupPath, mlsClient, publishedExternalSenders, statusApiRevocation, suite, type MlsClient } from './mls-clients.js';

const b64 = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64');
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('external-sender key rotation: groups move by a GroupContextExtensions proposal, removals never wait', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let oldSenders: Extension;
  let alice: MlsClient, bob: MlsClient, carol: MlsClient, dave: MlsClient;
  const groupStates: Record<'g1' | 'g2', ClientState> = {} as never;
  const admin = (method: string, path: string, body?: unknown) =>
    call(t.url, method, `/v1/admin/orgs/acme/mls/external-sender${path}`, { token: t.adminToken, body });

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOX_POLL_MS: '20', KT_SEQUENCER_POLL_MS: '20' } });
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    const client = async (name: string) => mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, `${name}@acme.example`), name);
    alice = await client('alice');
    bob = await client('bob');
    carol = await client('carol');
    dave = await client('dave');
    oldSenders = await publishedExternalSenders(t.url, 'acme');
  });
  afterAll(() => t.close());

  /** Like FakeDeliveryService.reportedGroup, keeping every member's state (creator first). */
  async function groupOfAll(name: string, creator: MlsClient, others: MlsClient[]): Promise<ClientState[]> {
    const cs = await suite();
    const created = await createGroupWithExternalSenders(
      new TextEncoder().encode(name),
      creator.publicPackage,
      creator.privatePackage,
      [oldSenders],
      cs,
    );
    expect((await ds.report(created)).status).toBe(200);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    const joined = [];
    for (const o of others) joined.push(await joinGroup(added.welcome!, o.publicPackage, o.privatePackage, emptyPskIndex, cs));
    await ds.authorize(created, encodeMlsMessage(added.commit));
    expect((await ds.report(added.newState)).status).toBe(200);
    return [added.newState, ...joined];
  }

  /** A member commits the pending proposals it admitted (by reference); the others process it; the DS authorizes and reports. */
  async function commitAndReport(committer: ClientState, others: ClientState[]) {
    const cs = await suite();
    const commit = await createCommit({ state: committer, cipherSuite: cs }, { wireAsPublicMessage: true, ratchetTreeExtension: true });
    const decision = await ds.authorize(committer, encodeMlsMessage(commit.commit));
    const next = [withNamedExternalSenders(commit.newState)];
    for (const o of others)
      next.push(withNamedExternalSenders((await processMessage(commit.commit as never, o, emptyPskIndex, acceptAll, cs)).newState));
    const report = await ds.report(next[0]!);
    return { decision, report, states: next };
  }

  it('rotates: both senders published, swaps committed by a member who is no room admin, Removes signed by whichever key the group lists', async () => {
    // two groups listing the current sender; Alice created both (room admin), Bob and Carol are members
    const [g1Alice, g1Bob, g1Carol] = await groupOfAll('room-moves', alice, [bob, carol]);
    const g1 = { state: g1Alice! };
    const g2 = await ds.reportedGroup('room-stays', alice, [bob, dave], oldSenders);
    expect(g2.epoch1.status).toBe(200);
    const oldKey = externalSendersOf(g1.state.groupContext)![0]!.signaturePublicKey;

    const rotated = await admin('POST', '/rotate');
    expect(rotated.status).toBe(200);
    const suite1 = rotated.body.rotations.find((r: { ciphersuite: number }) => r.ciphersuite === 1);
    expect(suite1).toMatchObject({ previousSignatureKey: b64(oldKey), groups: 2, completed: false });
    const newKey = fromB64(suite1.newSignatureKey);

    // both senders published during the overlap: the new one current (what new groups list), the old one retiring
    const published = (await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders.filter(
      (s: { ciphersuite: number }) => s.ciphersuite === 1,
    );
    expect(published.map((s: { signatureKey: string; status: string }) => [s.signatureKey, s.status])).toEqual([
      [b64(newKey), 'current'],
      [b64(oldKey), 'retiring'],
    ]);
    expect(await admin('POST', '/rotate')).toMatchObject({ status: 409, body: { reason: 'external_sender_rotation_in_progress' } });

    // the DS receives one swap per group, signed by the OLD key (the one the groups trust)
    const feed = await call(t.url, 'GET', '/v1/ds/external-sender-swaps?after=0', { token: ds.token });
    expect(feed.status).toBe(200);
    const swaps = feed.body.swaps.filter((s: { ciphersuite: number }) => s.ciphersuite === 1);
    expect(swaps.map((s: { groupId: string; epoch: string }) => [s.groupId, s.epoch]).sort()).toEqual(
      [
        [groupPath(g1.state), '1'],
        [groupPath(g2.state), '1'],
      ].sort(),
    );
    const swap1 = fromB64(swaps.find((s: { groupId: string }) => s.groupId === groupPath(g1.state)).proposal);

    // a forged swap (another group's proposal) is refused by the member's check
    const swap2 = fromB64(swaps.find((s: { groupId: string }) => s.groupId === groupPath(g2.state)).proposal);
    expect(await admitExternalSendersSwap(g1.state, swap2)).toMatchObject({ admitted: false });

    // every member admits the swap; Bob, who is no room admin, commits it (the service's own
    // proposal needs none); Alice and Carol process his commit: the group now lists the new sender
    const admit = async (state: ClientState) => {
      const admitted = await admitExternalSendersSwap(state, swap1);
      if (!admitted.admitted) throw new Error(`swap refused: ${admitted.reason}`);
      expect(b64(admitted.newSender.signaturePublicKey)).toBe(b64(newKey));
      return admitted.state;
    };
    const moved = await commitAndReport(await admit(g1Bob!), [await admit(g1Alice!), await admit(g1Carol!)]);
    expect(moved.decision.body).toMatchObject({ allow: true, reasons: [] });
    expect(moved.report.status).toBe(200);
    expect(moved.report.body).toMatchObject({ epoch: '2', continuity: 'seen_commit', externalSenderListed: true });
    // states: Alice, Carol, Bob (as listed to commitAndReport: committer first, then the others)
    const g1States = [moved.states[1]!, moved.states[0]!, moved.states[2]!];
    for (const state of g1States) expect(externalSendersOf(state.groupContext)!.map((s) => b64(s.signaturePublicKey))).toEqual([b64(newKey)]);
    // the same by-value change from Bob, not the service's proposal, would need a room admin
    const byValue = await createCommit(
      { state: g1States[1]!, cipherSuite: await suite() },
      {
        extraProposals: [
          {
            proposalType: 'group_context_extensions',
            // type 5 as a number: ts-mls 1.6.4 would otherwise decode the RFC list as one sender and throw
            groupContextExtensions: { extensions: g1States[1]!.groupContext.extensions.map((e) => ({ ...e, extensionType: 5 })) },
          },
        ],
        wireAsPublicMessage: true,
      },
    );
    const refused = await ds.authorize(g1States[1]!, encodeMlsMessage(byValue.commit));
    expect(refused.body.reasons.map((r: { code: string }) => r.code)).toContain('extensions_require_room_admin');
    const status = await admin('GET', '/rotation');
    expect(status.body.rotations.find((r: { ciphersuite: number }) => r.ciphersuite === 1)).toMatchObject({
      groups: { open: 1, committed: 1 },
      notMoved: [{ groupId: groupPath(g2.state), epoch: '1' }],
    });

    // Carol's and Dave's devices are revoked: a Remove in each group; g1 (moved) signed by the new key, g2 (not yet) by the old
    await t.dataSource.transaction((m) =>
      t.app
        .get(DeviceRevocationService)
        .revokeDevices(m, { orgId, deviceIds: [carol.deviceId, dave.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const removals = await until(
      async () => {
        const page = await ds.feed('0');
        return page.body.removals.length >= 2 ? page.body.removals : undefined;
      },
      10000,
      'the removals',
    );
    const inG1 = removals.find((r: { groupId: string }) => r.groupId === groupPath(g1States[0]!));
    const inG2 = removals.find((r: { groupId: string }) => r.groupId === groupPath(g2.state));
    const revoked = statusApiRevocation(t.url, ds.token);
    const v1 = await checkExternalRemoveProposal(fromB64(inG1.proposal), g1States[0]!);
    expect(v1).toMatchObject({ accepted: true });
    expect(v1.accepted && b64(v1.externalSender.signaturePublicKey)).toBe(b64(newKey));
    const v2 = await checkExternalRemoveProposal(fromB64(inG2.proposal), g2.state);
    expect(v2.accepted && b64(v2.externalSender.signaturePublicKey)).toBe(b64(oldKey));

    // members accept them: in g1 Alice and Bob admit the Remove, Alice commits it and Bob follows
    const r1 = await admitExternalRemoveProposal(g1States[0]!, fromB64(inG1.proposal), revoked);
    const r1Bob = await admitExternalRemoveProposal(g1States[1]!, fromB64(inG1.proposal), revoked);
    const r2 = await admitExternalRemoveProposal(g2.state, fromB64(inG2.proposal), revoked);
    if (!r1.admitted || !r1Bob.admitted || !r2.admitted) throw new Error('a member refused the service Remove');
    const removed1 = await commitAndReport(r1.state, [r1Bob.state]);
    expect(removed1.states[1]!.groupContext.epoch).toBe(3n);
    expect(removed1.decision.body.allow).toBe(true);
    expect(removed1.report.body).toMatchObject({ epoch: '3', removals: { committed: 1 } });

    // g2 moves at its new epoch: the swap is signed again for it (the old one superseded)
    const removed2 = await commitAndReport(r2.state, []);
    expect(removed2.report.body).toMatchObject({ epoch: '2', removals: { committed: 1 } });
    const resigned = (await call(t.url, 'GET', '/v1/ds/external-sender-swaps?after=0', { token: ds.token })).body.swaps.filter(
      (s: { groupId: string; ciphersuite: number }) => s.groupId === groupPath(g2.state) && s.ciphersuite === 1,
    );
    expect(resigned.map((s: { epoch: string }) => s.epoch)).toEqual(['2']);
    const admitted2 = await admitExternalSendersSwap(removed2.states[0]!, fromB64(resigned[0].proposal));
    if (!admitted2.admitted) throw new Error(`swap refused: ${admitted2.reason}`);
    const moved2 = await commitAndReport(admitted2.state, []);
    expect(moved2.report.body).toMatchObject({ epoch: '3', continuity: 'seen_commit' });
    groupStates.g1 = removed1.states[0]!;
    groupStates.g2 = moved2.states[0]!;

    // every group of suite 1 moved: the old sender is retired, only the new one is published
    const after = (await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders.filter(
      (s: { ciphersuite: number }) => s.ciphersuite === 1,
    );
    expect(after.map((s: { signatureKey: string }) => s.signatureKey)).toEqual([b64(newKey)]);
    const [sender] = await t.dataSource.query(`SELECT status FROM mls_external_sender WHERE signature_key = $1`, [Buffer.from(oldKey)]);
    expect(sender.status).toBe('retired');
    // the rotation is in the log (type 14): started and completed
    const entries: { entry: Buffer }[] = await until(
      async () => {
        const rows: { entry: Buffer }[] = await t.dataSource.query(`SELECT entry FROM kt_entry WHERE org_id = $1 ORDER BY idx`, [orgId]);
        return rows.some((r) => decodeKeyEventSafe(r.entry)?.reason === 'completed suite 1') ? rows : undefined;
      },
      10000,
      'rotation entries',
    );
    const reasons = entries
      .map((r) => decodeKeyEventSafe(r.entry))
      .filter((e) => e?.type === 'external_sender_rotated')
      .map((e) => e!.reason);
    expect(reasons).toEqual(expect.arrayContaining(['started suite 1', 'completed suite 1']));
  });

  it('force-retires the other suites, listing what was left behind; refuses without force and when nothing rotates', async () => {
    // suites without groups completed at once; a second rotation of suite 1 finds the two groups again
    const again = await admin('POST', '/rotate');
    expect(again.body.rotations.find((r: { ciphersuite: number }) => r.ciphersuite === 1)).toMatchObject({ groups: 2, completed: false });
    expect((await admin('POST', '/retire', {})).status).toBe(400);
    const forced = await admin('POST', '/retire', { force: true });
    expect(forced.status).toBe(200);
    const left = forced.body.retired.find((r: { ciphersuite: number }) => r.ciphersuite === 1).groupsLeftBehind;
    expect(left.map((g: { groupId: string }) => g.groupId).sort()).toEqual([groupPath(groupStates.g1), groupPath(groupStates.g2)].sort());
    expect((await admin('GET', '/rotation')).body.rotations).toEqual([]);
    const published = (await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders')).body.externalSenders;
    expect(published.every((s: { status: string }) => s.status === 'current')).toBe(true);
    expect(await admin('POST', '/retire', { force: true })).toMatchObject({ status: 409, body: { reason: 'no_external_sender_rotation' } });
    // the DS token is no admin
    expect((await call(t.url, 'POST', '/v1/admin/orgs/acme/mls/external-sender/rotate', { token: ds.token })).status).toBe(401);
  });
});
