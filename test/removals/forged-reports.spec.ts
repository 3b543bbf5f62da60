// Issue 12 §1: an attacker holding a DS token of the org reports a fabricated tree for a real
// group so that the service signs Remove(k) for an innocent member's leaf k. Every layer must
// refuse: the §5.3.1 key binding, the GroupInfo signer, epoch continuity (§8.2, §7.8), group
// ownership, and the members' own revocation check before they admit a service Remove.
import {
  createCommit,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  generateKeyPackageWithKey,
  joinGroup,
  type ClientState,
  type Extension,
  type KeyPackage,
} from 'ts-mls';
import { admitExternalRemoveProposal, createGroupWithExternalSenders, signExternalRemove, x509CredentialFromChain } from '#mls';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { ExternalSenderService } from '../../apps/identity-service/src/removals/external-sender.service.js';
import { insertAccount } from '../support/fixtures.js';
import { until } from '../support/until.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import {
  b64,
  FakeDeliveryService,
  groupInfoBytes,
  groupPath,
  mlsClient,
  type MlsClient,
  publishedExternalSenders,
  statusApiRevocation,
  suite,
} from './mls-clients.js';

const enc = new TextEncoder();

describe('forged group reports cannot make the service evict innocent members (issue 12 §1)', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let rogue: FakeDeliveryService;
  let externalSenders: Extension;
  let alice: MlsClient, bob: MlsClient, dave: MlsClient, revokedDevice: MlsClient;
  /** The real group: Alice (leaf 0, room admin), Bob (leaf 1, innocent), Dave (leaf 2, to be revoked). */
  let real: Record<'alice' | 'bob' | 'dave', ClientState>;
  const path = () => `/v1/ds/groups/${groupPath(real.alice)}`;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    // the attacker: another delivery-service client of the same org
    rogue = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'rogue-ds', null)).token);
    const account = (name: string) => insertAccount(t.dataSource, orgId, `${name}@acme.example`);
    alice = await mlsClient(t.app, orgId, await account('alice'), 'alice');
    bob = await mlsClient(t.app, orgId, await account('bob'), 'bob');
    dave = await mlsClient(t.app, orgId, await account('dave'), 'dave');
    // a device revoked long ago, whose certificate (public) the attacker copied
    revokedDevice = await mlsClient(t.app, orgId, await account('mallory'), 'mallory-old');
    await revoke(revokedDevice, 'keyCompromise');

    externalSenders = await publishedExternalSenders(t.url, 'acme');

    const cs = await suite();
    const created = await createGroupWithExternalSenders(enc.encode('room-real'), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    expect((await ds.report(created)).body).toMatchObject({ epoch: '0', continuity: 'registered' });
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: [bob, dave].map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
        wireAsPublicMessage: true,
        ratchetTreeExtension: true,
      },
    );
    expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body).toMatchObject({ allow: true });
    real = {
      alice: added.newState,
      bob: await joinGroup(added.welcome!, bob.publicPackage, bob.privatePackage, emptyPskIndex, cs),
      dave: await joinGroup(added.welcome!, dave.publicPackage, dave.privatePackage, emptyPskIndex, cs),
    };
    expect((await ds.report(real.alice)).body).toMatchObject({ epoch: '1', members: 3, continuity: 'seen_commit' });
    expect(real.bob.privatePath.leafIndex).toBe(1);
  });

  afterAll(() => t.close());

  function revoke(device: MlsClient, reason: 'keyCompromise' | 'cessationOfOperation') {
    return t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [device.deviceId], reason, actor: 'admin' }),
    );
  }

  /** A group the attacker builds for `groupId`: leaf 0 its own basic credential, then `others`' KeyPackages, advanced `extraEpochs` more. */
  async function fabricated(groupId: string, others: { publicPackage: KeyPackage }[], extraEpochs = 0) {
    const cs = await suite();
    const attacker = await generateKeyPackage(
      { credentialType: 'basic', identity: enc.encode('attacker') },
      defaultCapabilities(),
      defaultLifetime,
      [],
      cs,
    );
    const created = await createGroupWithExternalSenders(enc.encode(groupId), attacker.publicPackage, attacker.privatePackage, [externalSenders], cs);
    let state = (
      await createCommit(
        { state: created, cipherSuite: cs },
        { extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })), wireAsPublicMessage: true },
      )
    ).newState;
    for (let i = 0; i < extraEpochs; i++) state = (await createCommit({ state, cipherSuite: cs }, { wireAsPublicMessage: true })).newState;
    return state;
  }

  /** The revoked device's real certificate chain over the ATTACKER's signature key. */
  async function revokedCertificateWithAttackerKey() {
    const cs = await suite();
    const attackerKeys = await cs.signature.keygen();
    return generateKeyPackageWithKey(
      x509CredentialFromChain(revokedDevice.chainDer),
      defaultCapabilities(),
      defaultLifetime,
      [],
      { signKey: attackerKeys.signKey, publicKey: attackerKeys.publicKey },
      cs,
    );
  }

  const put = (client: FakeDeliveryService, state: ClientState, p = path()) =>
    groupInfoBytes(state).then((gi) => call(t.url, 'PUT', p, { token: client.token, body: { groupInfo: b64(gi) } }));

  async function removalsOfGroup(): Promise<{ leaf_index: number; device_id: string; status: string; epoch: string }[]> {
    return t.dataSource.query(
      `SELECT r.leaf_index, r.device_id, r.status, r.epoch FROM removal r JOIN mls_group g ON g.id = r.group_ref WHERE g.group_id = $1 ORDER BY r.id`,
      [Buffer.from('room-real')],
    );
  }

  it('refuses the exact attack: fabricated tree at the real epoch, revoked certificate over the attacker key at the innocent leaf, basic-credential signer', async () => {
    const forgedLeaf = await revokedCertificateWithAttackerKey();
    const fake = await fabricated('room-real', [forgedLeaf]);
    expect(fake.groupContext.epoch).toBe(real.alice.groupContext.epoch);
    expect(fake.ratchetTree[2]?.nodeType === 'leaf' && fake.ratchetTree[2].leaf.credential.credentialType).toBe('x509');

    // with the owner's own token, and with another DS client's
    const owner = await put(ds, fake);
    expect([owner.status, owner.body.reason, owner.body.leafIndexes]).toEqual([422, 'leaf_key_mismatch', [1]]);
    const cross = await put(rogue, fake);
    expect([cross.status, cross.body.reason]).toEqual([422, 'leaf_key_mismatch']);
    // nothing was signed, the registry still holds the real tree
    expect(await removalsOfGroup()).toEqual([]);
    const audit = await call(t.url, 'GET', `${path()}/audit`, { token: ds.token });
    expect(audit.body).toMatchObject({ epoch: '1', members: 3, findings: [], pendingRemovals: 0, continuityFlag: null });
  });

  it('refuses a first registration signed by a basic credential, and a fabricated tree of basic credentials at the real epoch (epoch_fork)', async () => {
    const cs = await suite();
    const stranger = await generateKeyPackage(
      { credentialType: 'basic', identity: enc.encode('stranger') },
      defaultCapabilities(),
      defaultLifetime,
      [],
      cs,
    );
    const fresh = await fabricated('room-never-seen', [stranger]);
    const first = await put(ds, fresh, `/v1/ds/groups/${groupPath(fresh)}`);
    expect([first.status, first.body.reason]).toEqual([422, 'signer_untrusted']);
    expect((await call(t.url, 'GET', `/v1/ds/groups/${groupPath(fresh)}/audit`, { token: ds.token })).status).toBe(404);

    const fork = await put(ds, await fabricated('room-real', [stranger]));
    expect([fork.status, fork.body.reason]).toEqual([409, 'epoch_fork']);
    const audit = await call(t.url, 'GET', `${path()}/audit`, { token: ds.token });
    expect(audit.body).toMatchObject({ epoch: '1', members: 3, continuityFlag: { reason: 'epoch_fork', epoch: '1', rebaseAuthorized: false } });
    // the honest DS re-reporting the real epoch is still fine
    expect((await ds.report(real.alice)).body).toMatchObject({ epoch: '1', continuity: 'same_epoch', removals: { committed: 0, planned: 0 } });
  });

  it("refuses a higher epoch that does not descend from the registered one, so a forged report cannot mark a pending removal 'committed'", async () => {
    await revoke(dave, 'cessationOfOperation');
    await until(async () => (await removalsOfGroup()).length === 1, 5000, "the removal of Dave's leaf");
    expect(await removalsOfGroup()).toMatchObject([{ leaf_index: 2, device_id: dave.deviceId, status: 'pending', epoch: '1' }]);

    // a fabricated group two epochs on
    const ahead = await put(ds, await fabricated('room-real', [bob], 2));
    expect([ahead.status, ahead.body.reason]).toEqual([409, 'continuity_unproven']);
    // even an insider's real commit removing Dave, never shown to the service: the service cannot tell it applied
    const cs = await suite();
    const unseen = await createCommit(
      { state: real.alice, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'remove', remove: { removed: 2 } }], wireAsPublicMessage: true },
    );
    const hidden = await ds.report(unseen.newState);
    expect([hidden.status, hidden.body.reason, hidden.body.registeredEpoch]).toEqual([409, 'continuity_unproven', '1']);
    expect(await removalsOfGroup()).toMatchObject([{ leaf_index: 2, device_id: dave.deviceId, status: 'pending', epoch: '1' }]);
    await t.dataSource.query(`UPDATE removal SET planned_at = now() - interval '6 minutes'`);
    expect((await call(t.url, 'GET', '/v1/ds/removals/overdue', { token: ds.token })).body.removals).toMatchObject([{ leafIndex: 2 }]);

    const audit = await call(t.url, 'GET', `${path()}/audit`, { token: ds.token });
    expect(audit.body).toMatchObject({ epoch: '1', members: 3, continuityFlag: { reason: 'continuity_unproven', epoch: '2' } });
    const flagged = await call(t.url, 'GET', '/v1/admin/orgs/acme/mls/groups/flagged', { token: t.adminToken });
    expect(flagged.body.groups).toMatchObject([
      { groupId: groupPath(real.alice), registeredEpoch: '1', reason: 'continuity_unproven', reportedEpoch: '2', rebaseAuthorizedBy: null },
    ]);
    const metrics = (await call(t.metricsUrl, 'GET', '/metrics')).text;
    expect(metrics).toContain('mls_groups_continuity_flagged{org="acme"} 1');
    for (const reason of ['leaf_key_mismatch', 'signer_untrusted', 'epoch_fork', 'continuity_unproven']) {
      expect(metrics).toMatch(new RegExp(`mls_group_reports_refused_total\\{reason="${reason}"\\} [1-9]`));
    }
  });

  it('keeps the group, its authorization, audit, feed and overdue list to the DS client that registered it (group_owned_by_other_client)', async () => {
    const overwrite = await put(rogue, real.alice);
    expect([overwrite.status, overwrite.body.reason]).toEqual([403, 'group_owned_by_other_client']);
    const cs = await suite();
    const commit = await createCommit({ state: real.alice, cipherSuite: cs }, { wireAsPublicMessage: true });
    const authorize = await rogue.authorize(real.alice, encodeMlsMessage(commit.commit));
    expect([authorize.status, authorize.body.reason]).toEqual([403, 'group_owned_by_other_client']);
    const audit = await call(t.url, 'GET', `${path()}/audit`, { token: rogue.token });
    expect([audit.status, audit.body.reason]).toEqual([403, 'group_owned_by_other_client']);
    expect((await rogue.feed('0')).body.removals).toEqual([]);
    expect((await call(t.url, 'GET', '/v1/ds/removals/overdue', { token: rogue.token })).body.removals).toEqual([]);
    // the owner's feed has Dave's removal, and nothing for Bob
    const feed = (await ds.feed('0')).body.removals;
    expect(feed.map((r: { leafIndex: number; deviceId: string }) => [r.leafIndex, r.deviceId])).toEqual([[2, dave.deviceId]]);
  });

  it('members refuse a validly signed service Remove of the innocent leaf: its credential is not revoked (defence in depth)', async () => {
    // as if the service had been fooled: its own external-sender key signs Remove(1) at the real epoch
    const senders = t.app.get(ExternalSenderService);
    const sender = (await senders.listedIn(orgId, real.alice.groupContext))!;
    const forged = await signExternalRemove({
      groupContext: real.alice.groupContext,
      removedLeafIndex: 1,
      signaturePublicKey: sender.signatureKey,
      sign: senders.signer(sender),
    });
    const checkStatus = statusApiRevocation(t.url, ds.token);
    for (const member of [real.alice, real.dave]) {
      expect(await admitExternalRemoveProposal(member, forged.message, checkStatus)).toMatchObject({
        admitted: false,
        reason: 'removed_leaf_not_revoked',
      });
    }
    // while the service's real proposal for Dave (revoked) is admitted
    const [daveRemoval] = (await ds.feed('0')).body.removals;
    const admitted = await admitExternalRemoveProposal(real.alice, new Uint8Array(Buffer.from(daveRemoval.proposal, 'base64')), checkStatus);
    expect(admitted).toMatchObject({ admitted: true, removedLeafIndex: 2 });
  });

  it('the legitimate flow goes on: the removal committed through an authorized commit is recorded as committed', async () => {
    const cs = await suite();
    const [daveRemoval] = (await ds.feed('0')).body.removals;
    const admitted = await admitExternalRemoveProposal(
      real.alice,
      new Uint8Array(Buffer.from(daveRemoval.proposal, 'base64')),
      statusApiRevocation(t.url, ds.token),
    );
    if (!admitted.admitted) throw new Error(admitted.reason);
    const commit = await createCommit({ state: admitted.state, cipherSuite: cs }, { wireAsPublicMessage: true });
    expect((await ds.authorize(real.alice, encodeMlsMessage(commit.commit))).body).toMatchObject({ allow: true, reasons: [] });
    const reported = await ds.report(commit.newState);
    expect(reported.body).toMatchObject({ epoch: '2', members: 2, continuity: 'seen_commit', removals: { committed: 1 } });
    expect(await removalsOfGroup()).toMatchObject([{ leaf_index: 2, status: 'committed' }]);
    real.alice = commit.newState;
  });

  it('an org admin can re-base a group whose DS truly lost continuity; the re-basing report is checked like a first registration', async () => {
    const cs = await suite();
    const unseen = await createCommit({ state: real.alice, cipherSuite: cs }, { wireAsPublicMessage: true });
    expect((await ds.report(unseen.newState)).body.reason).toBe('continuity_unproven');
    const rebasePath = `/v1/admin/orgs/acme/mls/groups/${groupPath(real.alice)}/rebase`;
    // a DS token is not an org admin's
    expect((await call(t.url, 'POST', rebasePath, { token: ds.token })).status).toBe(401);
    const rebase = await call(t.url, 'POST', rebasePath, { token: t.adminToken });
    expect(rebase.body).toMatchObject({ epoch: '2', rebaseAuthorizedBy: expect.any(String) });
    // a fabricated tree still cannot use the re-base: its signer is a basic credential
    const fake = await put(ds, await fabricated('room-real', [bob], 3));
    expect([fake.status, fake.body.reason]).toEqual([422, 'signer_untrusted']);
    const rebased = await ds.report(unseen.newState);
    expect(rebased.body).toMatchObject({ epoch: '3', continuity: 'rebased' });
    const audit = await call(t.url, 'GET', `${path()}/audit`, { token: ds.token });
    expect(audit.body).toMatchObject({ epoch: '3', continuityFlag: null });
    const events = await t.dataSource.query(
      `SELECT action, details FROM audit_event WHERE action IN ('mls_group.continuity_flagged', 'mls_group.rebase_authorized') ORDER BY id`,
    );
    expect(events.map((e: { action: string; details: { reason?: string } }) => [e.action, e.details.reason ?? null])).toEqual([
      ['mls_group.continuity_flagged', 'epoch_fork'],
      ['mls_group.continuity_flagged', 'continuity_unproven'],
      ['mls_group.continuity_flagged', 'continuity_unproven'],
      ['mls_group.continuity_flagged', 'continuity_unproven'],
      ['mls_group.rebase_authorized', null],
    ]);
    // every accepted report that registered or moved a group is the DS client's action in the audit log
    const [advanced] = await t.dataSource.query(
      `SELECT actor, actor_roles, before, after, details FROM audit_event WHERE action = 'mls_group.advance' ORDER BY seq DESC LIMIT 1`,
    );
    expect(advanced).toMatchObject({ actor_roles: ['ds'], before: { epoch: '2' }, after: { epoch: '3' }, details: { continuity: 'rebased' } });
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'mls_group.register'`))[0].n).toBeGreaterThan(0);
    expect((await call(t.metricsUrl, 'GET', '/metrics')).text).toContain('mls_groups_continuity_flagged{org="acme"} 0');
    expect((await call(t.url, 'GET', '/v1/admin/orgs/acme/mls/groups/flagged', { token: t.adminToken })).body.groups).toEqual([]);
  });
});
