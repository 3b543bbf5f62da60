import {
  createApplicationMessage,
  createCommit,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  acceptAll,
  generateKeyPackageWithKey,
  joinGroup,
  processMessage,
  processPrivateMessage,
  decodeMlsMessage,
  type ClientState,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { ciphersuiteImpl, createGroupWithExternalSenders } from '#mls';
import {
  ciphersuiteKeyParams,
  commitPendingRemovals,
  exportMlsSignatureKeyPair,
  mlsCredentialOf,
  receiveExternalProposal,
  RemovalCommitScheduler,
  systemClock,
  type EnrolledDevice,
  type IdentityClient,
  type RemovalCommitPolicy,
} from '#client-sdk';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { call } from '../support/test-app.js';
import { startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { FakeDeliveryService } from '../removals/mls-clients.js';
import { enrollWithToken, provision, sdkClient, USERS } from './sdk-harness.js';

const enc = new TextEncoder();

async function keyPackageOf(device: EnrolledDevice): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  const cs = await ciphersuiteImpl(ciphersuiteKeyParams(device.keys.ciphersuite).name);
  const pair = await exportMlsSignatureKeyPair(device.keys);
  return generateKeyPackageWithKey(
    mlsCredentialOf(device),
    defaultCapabilities(),
    defaultLifetime,
    [],
    { signKey: pair.privateKey, publicKey: pair.publicKey },
    cs,
  );
}

describe('SDK service removals against the real service (external sender, guard, commit by reference)', () => {
  let h: Harness;
  let client: IdentityClient;
  let ds: FakeDeliveryService;
  let devices: Record<'alice' | 'bob' | 'carol', EnrolledDevice>;

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    await provision(h);
    client = sdkClient(h);
    devices = {
      alice: await enrollWithToken(h, client, 'alice'),
      bob: await enrollWithToken(h, client, 'bob'),
      carol: await enrollWithToken(h, client, 'carol'),
    };
    const ds0 = await h.t.app.get(CredentialsService).createDsClient('test', h.org, 'chat-ds', null);
    ds = new FakeDeliveryService(h.t.url, ds0.token);
  });
  afterAll(() => h.close());

  it('Alice creates the group with the service listed; Bob is revoked; the lowest admin commits; Bob is out', async () => {
    const cs = await ciphersuiteImpl(ciphersuiteKeyParams(1).name);
    const senders = await client.externalSenders(1);
    expect(senders.senders).toHaveLength(1);
    const [a, b, c] = await Promise.all([keyPackageOf(devices.alice), keyPackageOf(devices.bob), keyPackageOf(devices.carol)]);
    const created = await createGroupWithExternalSenders(enc.encode('sdk-room'), a.publicPackage, a.privatePackage, [senders.extension], cs);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: [b, c].map((k) => ({ proposalType: 'add' as const, add: { keyPackage: k.publicPackage } })),
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    let alice: ClientState = added.newState;
    const bob = await joinGroup(added.welcome!, b.publicPackage, b.privatePackage, emptyPskIndex, cs);
    let carol = await joinGroup(added.welcome!, c.publicPackage, c.privatePackage, emptyPskIndex, cs);
    expect((await ds.report(alice)).body).toMatchObject({ epoch: '1', members: 3, externalSenderListed: true });
    const cursor = (await ds.feed('0')).body.cursor;

    const revoked = await call(h.t.url, 'POST', `/v1/admin/orgs/acme/devices/${devices.bob.deviceId}/revoke`, {
      token: h.t.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(revoked.status).toBeLessThan(300);
    const page = await ds.feed(cursor, 5);
    expect(page.body.removals).toHaveLength(1);
    const proposal = new Uint8Array(Buffer.from(page.body.removals[0].proposal, 'base64'));

    // a copy aimed at another group is refused before ts-mls sees it
    const elsewhere = await createGroupWithExternalSenders(enc.encode('other-room'), c.publicPackage, c.privatePackage, [senders.extension], cs);
    const policy: RemovalCommitPolicy = { kind: 'lowest-admin-online', isAdmin: (leaf) => leaf === 0, isOnline: () => true };
    const aliceChecks = client.session(devices.alice).removedMemberRevoked;
    const carolChecks = client.session(devices.carol).removedMemberRevoked;
    expect(await receiveExternalProposal(elsewhere, proposal, policy, carolChecks)).toMatchObject({ admitted: false, reason: 'group_id_mismatch' });

    const aliceIn = await receiveExternalProposal(alice, proposal, policy, aliceChecks);
    const carolIn = await receiveExternalProposal(carol, proposal, policy, carolChecks);
    if (!aliceIn.admitted || !carolIn.admitted) throw new Error('the guard refused the service proposal');
    expect(aliceIn.removedLeafIndex).toBe(bob.privatePath.leafIndex);
    expect(aliceIn.commitInMs).toBe(0);
    expect(carolIn.commitInMs).toBeNull();
    alice = aliceIn.state;
    carol = carolIn.state;

    const scheduler = new RemovalCommitScheduler(systemClock);
    const committed = await new Promise<Awaited<ReturnType<typeof commitPendingRemovals>>>((resolve, reject) =>
      scheduler.schedule('sdk-room', aliceIn.commitInMs!, () => commitPendingRemovals(alice, { wireAsPublicMessage: true }).then(resolve, reject)),
    );
    expect(committed.removed).toEqual([bob.privatePath.leafIndex]);
    expect((await ds.authorize(alice, committed.commit)).body).toMatchObject({ allow: true });
    const carolAfter = (await processMessage(decodeMlsMessage(committed.commit, 0)![0] as never, carol, emptyPskIndex, acceptAll, cs)).newState;
    alice = committed.newState;
    expect((await ds.report(alice)).body).toMatchObject({ epoch: '2', members: 2, removals: { committed: 1 } });

    const next = await createApplicationMessage(alice, enc.encode('Bob has left'), cs);
    await expect(processPrivateMessage(bob, next.privateMessage, emptyPskIndex, cs)).rejects.toThrow();
    const read = await processPrivateMessage(carolAfter, next.privateMessage, emptyPskIndex, cs);
    expect(read.kind === 'applicationMessage' && new TextDecoder().decode(read.message)).toBe('Bob has left');
    // replayed after the commit, the epoch-1 proposal is refused by the new epoch-2 state
    expect(await receiveExternalProposal(alice, proposal, policy, aliceChecks)).toMatchObject({ admitted: false, reason: 'epoch_mismatch' });
  });
});
