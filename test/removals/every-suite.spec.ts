// Issue 12 §2: every cipher suite the service advertises carries the whole removal story.
// Per suite: devices enroll with that suite's key (the SDK's token flow), their KeyPackages
// validate, a group listing that suite's external sender is reported, the account is
// deprovisioned over SCIM, the signed Remove appears in the feed, an SDK member admits it and
// commits it, the other member follows, and the report shows the removal committed.
import {
  acceptAll,
  createCommit,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  joinGroup,
  processMessage,
  type ClientState,
} from 'ts-mls';
import { ciphersuiteImpl, createGroupWithExternalSenders } from '#mls';
import {
  ciphersuiteKeyParams,
  commitPendingRemovals,
  exportMlsSignatureKeyPair,
  generateDeviceKeys,
  keyBoundNonce,
  mlsCredentialOf,
  receiveExternalProposal,
  type EnrolledDevice,
  type IdentityClient,
  type RemovalCommitPolicy,
} from '#client-sdk';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OutboxWorker } from '../../apps/identity-service/src/outbox/outbox.worker.js';
import { call } from '../support/test-app.js';
import { insertScimAccount, nativeSignIn, startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { PATCH_OP, scimRequester } from '../scim/scim-org.js';
import { sdkClient } from '../client-sdk/sdk-harness.js';
import { b64, FakeDeliveryService, statusApiRevocation } from './mls-clients.js';

const enc = new TextEncoder();
const SUITES = [0x0001, 0x0002, 0x0003, 0x0007];
const PEOPLE = ['alice', 'bob', 'carol'] as const;
// one set of people per suite, so that each suite's deprovisioning is its own
const login = (person: string, ciphersuite: number) => `${person}${ciphersuite}`;
const USERS = Object.fromEntries(
  SUITES.flatMap((c) => PEOPLE.map((p) => [login(p, c), { email: `${login(p, c)}@acme.example`, amr: ['pwd', 'mfa'] }])),
);

async function keyPackageOf(device: EnrolledDevice) {
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

describe('every advertised cipher suite: enroll, report, deprovision, signed Remove, commit', () => {
  let h: Harness;
  let client: IdentityClient;
  let ds: FakeDeliveryService;
  const accounts = new Map<string, string>();
  let scim: ReturnType<typeof scimRequester>;
  let advertised: number[];

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    for (const name of Object.keys(USERS)) accounts.set(name, await insertScimAccount(h, { userName: USERS[name]!.email }));
    client = sdkClient(h);
    const dsClient = await h.t.app.get(CredentialsService).createDsClient('test', h.org, 'chat-ds', null);
    ds = new FakeDeliveryService(h.t.url, dsClient.token);
    scim = scimRequester(`${h.t.url}/scim/v2/acme`, (await h.t.app.get(CredentialsService).createScimToken('test', h.org, 'okta')).token);
    const published = await call(h.t.url, 'GET', '/v1/orgs/acme/mls/external-senders');
    advertised = published.body.externalSenders.map((s: { ciphersuite: number }) => s.ciphersuite).sort();
  });
  afterAll(() => h.close());

  it('advertises exactly the suites tested below', () => {
    expect(advertised).toEqual(SUITES);
  });

  /** A native app's enrollment with a key of this suite: IdP sign-in bound to the key, then the SDK's token flow. */
  async function enroll(person: string, ciphersuite: number): Promise<EnrolledDevice> {
    const keys = await generateDeviceKeys(ciphersuite);
    const idToken = await nativeSignIn(h.idp, login(person, ciphersuite), await keyBoundNonce(keys));
    return client.enroll({ flow: 'token', keys, idToken, deviceName: `${person}'s laptop`, platform: 'linux' });
  }

  it.each(SUITES.map((c) => [`0x000${c}`, c]))(
    'suite %s carries the whole removal story',
    async (_hex, ciphersuite) => {
      const cs = await ciphersuiteImpl(ciphersuiteKeyParams(ciphersuite).name);
      const alice = await enroll('alice', ciphersuite);
      const bob = await enroll('bob', ciphersuite);
      const carol = await enroll('carol', ciphersuite);
      expect(bob.keys.ciphersuite).toBe(ciphersuite);
      const [a, b, c] = await Promise.all([keyPackageOf(alice), keyPackageOf(bob), keyPackageOf(carol)]);

      // the DS validates Bob's KeyPackage of this suite
      const kp = await call(h.t.url, 'POST', '/v1/ds/key-packages/validate', {
        token: ds.token,
        body: { keyPackage: b64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: b.publicPackage })) },
      });
      expect(kp.body).toMatchObject({ valid: true, status: 'valid', ciphersuite, identity: { kind: 'device', deviceId: bob.deviceId } });

      const senders = await client.externalSenders(ciphersuite);
      const groupName = `room-suite-${ciphersuite}`;
      const created = await createGroupWithExternalSenders(enc.encode(groupName), a.publicPackage, a.privatePackage, [senders.extension], cs);
      expect((await ds.report(created)).status).toBe(200);
      const added = await createCommit(
        { state: created, cipherSuite: cs },
        {
          extraProposals: [b, c].map((k) => ({ proposalType: 'add' as const, add: { keyPackage: k.publicPackage } })),
          ratchetTreeExtension: true,
          wireAsPublicMessage: true,
        },
      );
      expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body).toMatchObject({ allow: true, reasons: [] });
      let aliceState: ClientState = added.newState;
      let carolState = await joinGroup(added.welcome!, c.publicPackage, c.privatePackage, emptyPskIndex, cs);
      expect((await ds.report(aliceState)).body).toMatchObject({ epoch: '1', members: 3, externalSenderListed: true });
      const cursor = (await ds.feed('0')).body.cursor;

      // Bob leaves the company: the IdP deprovisions him
      const gone = await scim('PATCH', `/Users/${accounts.get(login('bob', ciphersuite))}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
      });
      expect(gone.status).toBeLessThan(300);
      // the harness slows the outbox poll to 60 s (the service polls every 250 ms by default)
      h.t.app.get(OutboxWorker).nudge();
      const page = await ds.feed(cursor, 5);
      const mine = page.body.removals.filter((r: { deviceId: string }) => r.deviceId === bob.deviceId);
      expect(mine).toMatchObject([{ epoch: '1', leafIndex: 1, reason: 'cessationOfOperation' }]);
      const proposal = new Uint8Array(Buffer.from(mine[0].proposal, 'base64'));

      // both members admit the service's Remove through the SDK guard; Alice (leaf 0) commits it
      const revoked = statusApiRevocation(h.t.url, ds.token);
      const policy: RemovalCommitPolicy = { kind: 'lowest-admin-online', isAdmin: (leaf) => leaf === 0, isOnline: () => true };
      const aliceIn = await receiveExternalProposal(aliceState, proposal, policy, revoked);
      const carolIn = await receiveExternalProposal(carolState, proposal, policy, revoked);
      if (!aliceIn.admitted || !carolIn.admitted) throw new Error(`the guard refused the service proposal of suite ${ciphersuite}`);
      const committed = await commitPendingRemovals(aliceIn.state, { wireAsPublicMessage: true });
      expect(committed.removed).toEqual([1]);
      expect((await ds.authorize(aliceIn.state, committed.commit)).body).toMatchObject({ allow: true, reasons: [] });
      carolState = (await processMessage(decodeMlsMessage(committed.commit, 0)![0] as never, carolIn.state, emptyPskIndex, acceptAll, cs)).newState;
      aliceState = committed.newState;
      expect(carolState.groupContext.epoch).toBe(2n);
      expect((await ds.report(aliceState)).body).toMatchObject({ epoch: '2', members: 2, removals: { committed: 1 } });
    },
    30_000,
  );
});
