import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createProposal,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  processMessage,
  processPrivateMessage,
  type ClientState,
  type Extension,
} from 'ts-mls';
import { admitExternalRemoveProposal, checkExternalRemoveProposal, createGroupWithExternalSenders } from '#mls';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { webhookSignature, webhookSigningKey } from '../../apps/identity-service/src/removals/standard-webhooks.js';
import { deviceAuthorization } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { listenerReconnected, terminateListener } from '../support/pg-listener.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { APP_CLIENT, PUBLIC_URL, SERVICE_CLIENT } from '../enrollment/enrollment-harness.js';
import { CORE_USER, PATCH_OP, scimRequester } from '../scim/scim-org.js';
import { startTestIdp, type TestIdp } from '../support/test-idp.js';
import { until } from '../support/until.js';
import {
  b64,
  FakeDeliveryService,
  groupPath,
  mlsClient,
  type MlsClient,
  mlsClientEnrolledWithOidc,
  publishedExternalSenders,
  statusApiRevocation,
  suite,
} from './mls-clients.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const enc = new TextEncoder();

describe('MLS removals end to end (ts-mls clients, real PostgreSQL)', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let webhookSecret: string;
  let hook: Server;
  const received: Received[] = [];
  let failNextWebhooks = 0;
  let externalSenders: Extension;
  let alice: MlsClient, bob1: MlsClient, bob2: MlsClient, carol: MlsClient;
  let aliceAccount: string, bobAccount: string, carolAccount: string;
  let cursor = '0';
  let idp: TestIdp;
  let scim: ReturnType<typeof scimRequester>;

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = failNextWebhooks-- > 0 ? 503 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/mls`;

    // the four devices of the scenario enroll through OIDC at an Entra-like IdP
    idp = await startTestIdp({
      profile: 'entra',
      clients: [
        { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
        { clientId: APP_CLIENT, redirectUris: ['http://127.0.0.1/app-callback'] },
      ],
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
        bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] },
        carol: { email: 'carol@acme.example', amr: ['pwd', 'mfa'] },
      },
    });
    t = await createTestApp({ env: { PUBLIC_URL } });
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    await t.app.get(OrgsService).addIdpConnection('test', org, {
      name: 'entra',
      kind: 'entra',
      issuer: idp.issuer,
      clientId: SERVICE_CLIENT.clientId,
      clientSecret: SERVICE_CLIENT.clientSecret,
      matchByVerifiedEmail: true,
      nativeClientIds: [APP_CLIENT],
    });
    const client = await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', hookUrl);
    webhookSecret = client.webhookSecret;
    ds = new FakeDeliveryService(t.url, client.token);

    // accounts provisioned by the IdP over SCIM (Entra dialect), as in production
    const scimToken = (await t.app.get(CredentialsService).createScimToken('test', org, 'entra')).token;
    scim = scimRequester(`${t.url}/scim/v2/acme`, scimToken);
    const provision = async (name: string) => {
      const upn = `${name}@acme.example`;
      const res = await scim('POST', '/Users', {
        body: {
          schemas: [CORE_USER],
          externalId: `entra-${name}`,
          userName: upn,
          active: true,
          displayName: name,
          emails: [{ primary: true, type: 'work', value: upn }],
        },
      });
      if (res.status !== 201) throw new Error(`SCIM provisioning failed: ${res.status} ${res.text}`);
      return res.body.id as string;
    };
    aliceAccount = await provision('alice');
    bobAccount = await provision('bob');
    carolAccount = await provision('carol');
    const h = { t, idp, org };
    alice = await mlsClientEnrolledWithOidc(h, 'alice', 'alice');
    bob1 = await mlsClientEnrolledWithOidc(h, 'bob', 'bob-laptop');
    bob2 = await mlsClientEnrolledWithOidc(h, 'bob', 'bob-phone');
    carol = await mlsClientEnrolledWithOidc(h, 'carol', 'carol');
    expect([alice.accountId, bob1.accountId, bob2.accountId, carol.accountId]).toEqual([aliceAccount, bobAccount, bobAccount, carolAccount]);

    externalSenders = await publishedExternalSenders(t.url, 'acme');
  });

  afterAll(async () => {
    await t.close();
    await idp.close();
    await new Promise((resolve) => hook.close(resolve));
  });

  /** Alice creates a group listing the service, the DS registers it and authorizes adding `others`. */
  async function aliceGroup(name: string, others: MlsClient[]): Promise<Record<string, ClientState>> {
    const cs = await suite();
    const created = await createGroupWithExternalSenders(enc.encode(name), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    expect((await ds.report(created)).status).toBe(200);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    const verdict = await ds.authorize(created, encodeMlsMessage(added.commit));
    expect(verdict.body).toMatchObject({ allow: true, reasons: [] });
    const states: Record<string, ClientState> = { alice: added.newState };
    for (const o of others) states[o.name] = await joinGroup(added.welcome!, o.publicPackage, o.privatePackage, emptyPskIndex, cs);
    const reported = await ds.report(added.newState);
    expect(reported.body).toMatchObject({ epoch: '1', members: others.length + 1, externalSenderListed: true });
    return states;
  }

  async function feedUntil(count: number, timeoutMs: number): Promise<{ removals: any[]; elapsedMs: number }> {
    const t0 = Date.now();
    const removals: any[] = [];
    while (removals.length < count && Date.now() - t0 < timeoutMs) {
      const page = await ds.feed(cursor, 1);
      expect(page.status).toBe(200);
      removals.push(...page.body.removals);
      cursor = page.body.cursor;
    }
    return { removals, elapsedMs: Date.now() - t0 };
  }

  it('publishes one external sender per suite, certified by the org CA as the removal service', async () => {
    const res = await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders');
    expect(res.body.externalSenders.map((s: { ciphersuite: number }) => s.ciphersuite).sort()).toEqual([1, 2, 3, 7]);
    const status = await call(t.url, 'POST', '/v1/certificates/status', {
      token: ds.token,
      body: { chains: [res.body.externalSenders[0].chain] },
    });
    expect(status.body.results[0]).toMatchObject({ status: 'valid', identity: { kind: 'service', org: 'acme', service: 'removal' } });
    // same keys on every call: groups list them
    const again = await call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders');
    expect(again.body.externalSenders.map((s: { signatureKey: string }) => s.signatureKey)).toEqual(
      res.body.externalSenders.map((s: { signatureKey: string }) => s.signatureKey),
    );
    expect((await call(t.url, 'GET', '/v1/orgs/nope/mls/external-senders')).status).toBe(404);
    // custody: the private key is in the KeyStore and nowhere in the published material or the sender row
    const [row] = await t.dataSource.query(`SELECT * FROM mls_external_sender WHERE org_id = $1 AND ciphersuite = 1`, [orgId]);
    expect(Object.keys(row).sort()).toEqual([
      'certificate_id',
      'ciphersuite',
      'created_at',
      'credential',
      'id',
      'key_id',
      'not_after',
      'org_id',
      'retired_at',
      'signature_key',
      'status',
    ]);
  });

  it('deprovisioning Bob: signed Removes in the feed within 1 s, committed by reference, Bob locked out', async () => {
    const cs = await suite();
    const states = await aliceGroup('room-main', [bob1, bob2, carol]);
    const groupId = groupPath(states.alice!);
    const audit0 = await call(t.url, 'GET', `/v1/ds/groups/${groupId}/audit`, { token: ds.token });
    expect(audit0.body).toMatchObject({ members: 4, findings: [], roomAdmins: [aliceAccount], pendingRemovals: 0 });
    cursor = (await ds.feed('0')).body.cursor;

    // Entra's soft delete: active set to the string "False"; the SCIM response follows the commit
    const t0 = Date.now();
    const softDelete = await scim('PATCH', `/Users/${bobAccount}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    });
    expect(softDelete.status).toBe(204);
    const { removals, elapsedMs } = await feedUntil(2, 5000);
    expect(removals).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(elapsedMs).toBeLessThan(1000);
    expect(removals.map((r) => [r.epoch, r.leafIndex, r.deviceId, r.reason]).sort()).toEqual(
      [
        ['1', 1, bob1.deviceId, 'cessationOfOperation'],
        ['1', 2, bob2.deviceId, 'cessationOfOperation'],
      ].sort(),
    );
    expect(removals.every((r) => r.groupId === groupId && r.status === 'delivered')).toBe(true);

    // the audit now shows Bob's devices, and the commit authorization insists on the removals
    const audit1 = await call(t.url, 'GET', `/v1/ds/groups/${groupId}/audit`, { token: ds.token });
    expect(audit1.body.findings.map((f: { leafIndex: number; reasons: string[] }) => [f.leafIndex, f.reasons])).toEqual([
      [1, ['credential_revoked', 'device_revoked', 'account_inactive']],
      [2, ['credential_revoked', 'device_revoked', 'account_inactive']],
    ]);
    const stalling = await createCommit({ state: states.alice!, cipherSuite: cs }, { wireAsPublicMessage: true });
    const stalled = await ds.authorize(states.alice!, encodeMlsMessage(stalling.commit));
    expect(stalled.body.allow).toBe(false);
    expect(stalled.body.reasons.map((r: { code: string }) => r.code)).toEqual(['pending_removal_not_included', 'pending_removal_not_included']);

    // Alice (and Carol) take the proposals in through the receiver guard; Alice commits them by reference
    let aliceState = states.alice!;
    let carolState = states.carol!;
    const revoked = statusApiRevocation(t.url, ds.token);
    const proposals = removals.map((r) => new Uint8Array(Buffer.from(r.proposal, 'base64')));
    for (const p of proposals) {
      const a = await admitExternalRemoveProposal(aliceState, p, revoked);
      const c = await admitExternalRemoveProposal(carolState, p, revoked);
      if (!a.admitted || !c.admitted) throw new Error('the guard refused the service proposal');
      aliceState = a.state;
      carolState = c.state;
    }
    const commit = await createCommit({ state: aliceState, cipherSuite: cs }, { wireAsPublicMessage: true, ratchetTreeExtension: true });
    const commitBytes = encodeMlsMessage(commit.commit);
    const decision = await ds.authorize(aliceState, commitBytes);
    expect(decision.body).toMatchObject({ allow: true, reasons: [] });
    const newAlice = commit.newState;
    const newCarol = (await processMessage(commit.commit as never, carolState, emptyPskIndex, acceptAll, cs)).newState;
    expect(newCarol.groupContext.epoch).toBe(2n);

    const reported = await ds.report(newAlice);
    expect(reported.body).toMatchObject({ epoch: '2', members: 2, removals: { committed: 2, resigned: 0, planned: 0 } });
    const rows = await t.dataSource.query(`SELECT status, committed_at FROM removal WHERE device_id = ANY($1::uuid[])`, [
      [bob1.deviceId, bob2.deviceId],
    ]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['committed', 'committed']);
    expect(rows.every((r: { committed_at: Date | null }) => r.committed_at !== null)).toBe(true);

    // Bob's devices cannot read Alice's next message; Carol can
    const next = await createApplicationMessage(newAlice, enc.encode('Bob has left'), cs);
    await expect(processPrivateMessage(states['bob-laptop']!, next.privateMessage, emptyPskIndex, cs)).rejects.toThrow();
    await expect(processPrivateMessage(states['bob-phone']!, next.privateMessage, emptyPskIndex, cs)).rejects.toThrow();
    const read = await processPrivateMessage(newCarol, next.privateMessage, emptyPskIndex, cs);
    expect(read.kind === 'applicationMessage' && new TextDecoder().decode(read.message)).toBe('Bob has left');

    // the same proposals replayed into another group are refused by the guard
    const other = await createGroupWithExternalSenders(enc.encode('room-other'), carol.publicPackage, carol.privatePackage, [externalSenders], cs);
    for (const p of proposals) {
      expect(await checkExternalRemoveProposal(p, other)).toMatchObject({ accepted: false, reason: 'group_id_mismatch' });
    }

    // commit authorization: Carol (not a room admin) may not remove Alice ...
    const carolRemovesAlice = await createCommit(
      { state: newCarol, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'remove', remove: { removed: 0 } }], wireAsPublicMessage: true },
    );
    const refused = await ds.authorize(newCarol, encodeMlsMessage(carolRemovesAlice.commit));
    expect(refused.body.allow).toBe(false);
    expect(refused.body.reasons.map((r: { code: string }) => r.code)).toEqual(['remove_requires_room_admin']);

    // ... Alice may add a valid device ...
    const daveAccount = await insertAccount(t.dataSource, orgId, 'dave@acme.example');
    const dave = await mlsClient(t.app, orgId, daveAccount, 'dave');
    const addDave = await createCommit(
      { state: newAlice, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: dave.publicPackage } }], wireAsPublicMessage: true },
    );
    expect((await ds.authorize(newAlice, encodeMlsMessage(addDave.commit))).body).toMatchObject({ allow: true, reasons: [] });

    // ... but not a revoked one
    const eveAccount = await insertAccount(t.dataSource, orgId, 'eve@acme.example');
    const eve = await mlsClient(t.app, orgId, eveAccount, 'eve');
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [eve.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const addEve = await createCommit(
      { state: newAlice, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: eve.publicPackage } }], wireAsPublicMessage: true },
    );
    const eveDecision = await ds.authorize(newAlice, encodeMlsMessage(addEve.commit));
    expect(eveDecision.body.allow).toBe(false);
    expect(eveDecision.body.reasons.map((r: { code: string }) => r.code)).toEqual(['add_credential_revoked', 'add_device_revoked']);

    // and the KeyPackage and credential validation endpoints agree
    const kpValid = await call(t.url, 'POST', '/v1/ds/key-packages/validate', {
      token: ds.token,
      body: { keyPackage: b64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: dave.publicPackage })) },
    });
    expect(kpValid.body).toMatchObject({
      valid: true,
      status: 'valid',
      ciphersuite: 1,
      identity: { kind: 'device', accountId: daveAccount, deviceId: dave.deviceId },
    });
    const kpRevoked = await call(t.url, 'POST', '/v1/ds/key-packages/validate', {
      token: ds.token,
      body: { keyPackage: b64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: eve.publicPackage })) },
    });
    expect(kpRevoked.body).toMatchObject({ valid: false, status: 'revoked', reasons: ['credential_revoked', 'device_revoked'] });
    const credBob = await call(t.url, 'POST', '/v1/ds/credentials/validate', { token: ds.token, body: { chain: bob1.chainDer.map(b64) } });
    expect(credBob.body).toMatchObject({ valid: false, status: 'revoked', reasons: ['credential_revoked', 'device_revoked', 'account_inactive'] });
    const wrongKey = await call(t.url, 'POST', '/v1/ds/credentials/validate', {
      token: ds.token,
      body: { chain: dave.chainDer.map(b64), signatureKey: b64(alice.publicPackage.leafNode.signaturePublicKey) },
    });
    expect(wrongKey.body).toMatchObject({ valid: false, status: 'valid', reasons: ['key_mismatch'] });

    // room admins: Carol's own device may not make her admin; Alice's device may
    const carolPath = `/v1/orgs/acme/mls/groups/${groupId}/admins/${carolAccount}`;
    const byCarol = await call(t.url, 'PUT', carolPath, {
      headers: { authorization: await deviceAuthorization(carol.device, carol.chainDer, { method: 'PUT', path: carolPath }) },
    });
    expect([byCarol.status, byCarol.body.reason]).toEqual([403, 'not_room_admin']);
    const byAlice = await call(t.url, 'PUT', carolPath, {
      headers: { authorization: await deviceAuthorization(alice.device, alice.chainDer, { method: 'PUT', path: carolPath }) },
    });
    expect(byAlice.status).toBe(200);
    expect(byAlice.body.roomAdmins.sort()).toEqual([aliceAccount, carolAccount].sort());
    expect((await ds.authorize(newCarol, encodeMlsMessage(carolRemovesAlice.commit))).body).toMatchObject({ allow: true });
    const strangerPath = `/v1/orgs/acme/mls/groups/${groupId}/admins/00000000-0000-4000-8000-000000000000`;
    const stranger = await call(t.url, 'PUT', strangerPath, { token: t.adminToken });
    expect([stranger.status, stranger.body.reason]).toEqual([404, 'unknown_account']);
    const byOrgAdmin = await call(t.url, 'DELETE', carolPath, { token: t.adminToken });
    expect(byOrgAdmin.body.roomAdmins).toEqual([aliceAccount]);

    // extension changes: Carol may not make them; even a room admin may not drop the service
    const dropService = { proposalType: 'group_context_extensions' as const, groupContextExtensions: { extensions: [] } };
    const byAliceDrop = await createCommit({ state: newAlice, cipherSuite: cs }, { extraProposals: [dropService], wireAsPublicMessage: true });
    expect((await ds.authorize(newAlice, encodeMlsMessage(byAliceDrop.commit))).body.reasons.map((r: { code: string }) => r.code)).toEqual([
      'external_senders_drops_service',
    ]);
    // (ts-mls 1.6.4 cannot build a GroupContextExtensions commit that keeps an RFC-list
    // external_senders: its proposal validation decodes the list as one ExternalSender)
    const byCarolDrop = await createCommit({ state: newCarol, cipherSuite: cs }, { extraProposals: [dropService], wireAsPublicMessage: true });
    expect((await ds.authorize(newCarol, encodeMlsMessage(byCarolDrop.commit))).body.reasons.map((r: { code: string }) => r.code)).toEqual([
      'extensions_require_room_admin',
      'external_senders_drops_service',
    ]);
  });

  it('re-signs a removal for the new epoch when the group moves on without committing it', async () => {
    const cs = await suite();
    const frankAccount = await insertAccount(t.dataSource, orgId, 'frank@acme.example');
    const frank = await mlsClient(t.app, orgId, frankAccount, 'frank');
    const states = await aliceGroup('room-epochs', [frank]);
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [frank.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const first = await feedUntil(1, 5000);
    expect(first.removals).toMatchObject([{ epoch: '1', leafIndex: 1, deviceId: frank.deviceId, reason: 'keyCompromise' }]);

    // a DS that ignores the authorization answer lets an unrelated commit through (the service
    // saw the commit when asked, so the next report still descends from the registered state)
    const unrelated = await createCommit({ state: states.alice!, cipherSuite: cs }, { wireAsPublicMessage: true });
    expect((await ds.authorize(states.alice!, encodeMlsMessage(unrelated.commit))).body).toMatchObject({
      allow: false,
      reasons: [{ code: 'pending_removal_not_included' }],
    });
    const reported = await ds.report(unrelated.newState);
    expect(reported.body).toMatchObject({ epoch: '2', removals: { committed: 0, resigned: 1, planned: 0 } });

    const second = await feedUntil(1, 5000);
    expect(second.removals).toMatchObject([{ epoch: '2', leafIndex: 1, deviceId: frank.deviceId, reason: 'keyCompromise' }]);
    expect(second.removals[0].plannedAt).toBe(first.removals[0].plannedAt);
    const [old] = await t.dataSource.query(`SELECT status, superseded_by FROM removal WHERE id = $1`, [first.removals[0].id]);
    expect(old).toEqual({ status: 'superseded', superseded_by: second.removals[0].id });

    const stale = new Uint8Array(Buffer.from(first.removals[0].proposal, 'base64'));
    const fresh = new Uint8Array(Buffer.from(second.removals[0].proposal, 'base64'));
    expect(await checkExternalRemoveProposal(stale, unrelated.newState)).toMatchObject({ accepted: false, reason: 'epoch_mismatch' });
    const admitted = await admitExternalRemoveProposal(unrelated.newState, fresh, statusApiRevocation(t.url, ds.token));
    if (!admitted.admitted) throw new Error(admitted.reason);
    const commit = await createCommit({ state: admitted.state, cipherSuite: cs }, { wireAsPublicMessage: true, ratchetTreeExtension: true });
    expect((await ds.authorize(unrelated.newState, encodeMlsMessage(commit.commit))).body).toMatchObject({ allow: true });
    expect((await ds.report(commit.newState)).body.removals).toEqual({ committed: 1, resigned: 0, planned: 0 });
  });

  it('catches a device that joins a group after its revocation', async () => {
    const cs = await suite();
    const ginaAccount = await insertAccount(t.dataSource, orgId, 'gina@acme.example');
    const gina = await mlsClient(t.app, orgId, ginaAccount, 'gina');
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [gina.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const created = await createGroupWithExternalSenders(enc.encode('room-late'), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    await ds.report(created);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: gina.publicPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    // the DS asks, is refused, and accepts the commit anyway
    expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body.allow).toBe(false);
    expect((await ds.report(added.newState)).body.removals).toEqual({ committed: 0, resigned: 0, planned: 1 });
    const { removals } = await feedUntil(1, 5000);
    expect(removals).toMatchObject([{ epoch: '1', leafIndex: 1, deviceId: gina.deviceId }]);
  });

  it('wakes a long poll at once after the feed listener lost its connection (pg_terminate_backend)', async () => {
    const cs = await suite();
    const ivyAccount = await insertAccount(t.dataSource, orgId, 'ivy@acme.example');
    const ivy = await mlsClient(t.app, orgId, ivyAccount, 'ivy');
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [ivy.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    const created = await createGroupWithExternalSenders(
      enc.encode('room-reconnect'),
      alice.publicPackage,
      alice.privatePackage,
      [externalSenders],
      cs,
    );
    await ds.report(created);
    cursor = (await ds.feed(cursor)).body.cursor;

    const killed = await terminateListener(t.dataSource, 'mls_removals');
    await listenerReconnected(t.dataSource, 'mls_removals', killed);
    // a long poll waiting when the planner commits: only the NOTIFY wakes it within 1 s
    // (without one it re-reads every 2 s)
    const poll = ds.feed(cursor, 10);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: ivy.publicPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body.allow).toBe(false);
    expect((await ds.report(added.newState)).body.removals).toEqual({ committed: 0, resigned: 0, planned: 1 });
    const page = await poll;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(page.body.removals).toMatchObject([{ epoch: '1', leafIndex: 1, deviceId: ivy.deviceId }]);
    cursor = page.body.cursor;
  });

  it('resolves proposal references only against proposals the service or the DS provided, and takes a ReInit only from a room admin', async () => {
    const cs = await suite();
    const hankAccount = await insertAccount(t.dataSource, orgId, 'hank@acme.example');
    const hank = await mlsClient(t.app, orgId, hankAccount, 'hank');
    const states = await aliceGroup('room-references', [hank]);
    // Alice proposes removing Hank and commits her proposal by reference
    const proposed = await createProposal(states.alice!, true, { proposalType: 'remove', remove: { removed: 1 } }, cs);
    const commit = await createCommit({ state: proposed.newState, cipherSuite: cs }, { wireAsPublicMessage: true });
    const commitBytes = encodeMlsMessage(commit.commit);
    const blind = await ds.authorize(states.alice!, commitBytes);
    expect(blind.body).toMatchObject({ allow: false, reasons: [{ code: 'unresolved_proposal_reference' }] });
    const informed = await ds.authorize(states.alice!, commitBytes, [encodeMlsMessage(proposed.message)]);
    expect(informed.body).toMatchObject({ allow: true, reasons: [] });

    // only a room admin may re-initialize the group
    const reinit = {
      proposalType: 'reinit' as const,
      reinit: {
        groupId: enc.encode('room-references-2'),
        version: 'mls10' as const,
        cipherSuite: states.hank!.groupContext.cipherSuite,
        extensions: [],
      },
    };
    const byHank = await createCommit({ state: states.hank!, cipherSuite: cs }, { extraProposals: [reinit], wireAsPublicMessage: true });
    expect((await ds.authorize(states.hank!, encodeMlsMessage(byHank.commit))).body).toMatchObject({
      allow: false,
      reasons: [{ code: 'reinit_requires_room_admin' }],
    });
    const byAlice = await createCommit({ state: states.alice!, cipherSuite: cs }, { extraProposals: [reinit], wireAsPublicMessage: true });
    expect((await ds.authorize(states.alice!, encodeMlsMessage(byAlice.commit))).body).toMatchObject({ allow: true, reasons: [] });
  });

  it('pushes the proposals as Standard Webhooks, retries failures with backoff, logs and replays', async () => {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const log = await call(t.url, 'GET', '/v1/ds/webhooks/deliveries', { token: ds.token });
      if (log.body.deliveries.length > 0 && log.body.deliveries.every((d: { status: string }) => d.status === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const key = webhookSigningKey(webhookSecret);
    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      const id = String(r.headers['webhook-id']);
      const ts = Number(r.headers['webhook-timestamp']);
      expect(r.headers['webhook-signature']).toBe(webhookSignature(key, id, ts, r.body));
      expect(Math.abs(Date.now() / 1000 - ts)).toBeLessThan(60);
    }
    const bodies = received.map((r) => JSON.parse(r.body));
    const devices = bodies.flatMap((b) => b.data.removals.map((x: { deviceId: string }) => x.deviceId));
    expect(devices).toEqual(expect.arrayContaining([bob1.deviceId, bob2.deviceId]));
    expect(bodies.every((b) => b.type === 'removals.proposed')).toBe(true);

    // a failing receiver gets the same message again after the outbox backoff
    failNextWebhooks = 1;
    const before = received.length;
    const [{ id }] = (await call(t.url, 'GET', '/v1/ds/webhooks/deliveries?limit=1', { token: ds.token })).body.deliveries;
    const replay = await call(t.url, 'POST', `/v1/ds/webhooks/deliveries/${id}/replay`, { token: ds.token });
    expect(replay.status).toBe(202);
    // the replay is the DS client's action in the audit log
    const [replayed] = await t.dataSource.query(
      `SELECT actor, actor_roles, before, after FROM audit_event WHERE action = 'ds_webhook.replay' AND target = $1`,
      [`webhook_delivery:${id}`],
    );
    expect(replayed).toMatchObject({ actor_roles: ['ds'], after: { status: 'pending' } });
    expect(replayed.actor).toMatch(/^ds-client:/);
    await until(async () => received.length >= before + 2, 8000, 'the replayed delivery and its retry');
    const again = received.slice(before);
    expect(again.map((r) => r.headers['webhook-id'])).toEqual([id, id]);
    // the attempt is logged when the outbox transaction commits, just after the receiver answered
    const logged = await until(
      async () => {
        const [latest] = (await call(t.url, 'GET', '/v1/ds/webhooks/deliveries?limit=1', { token: ds.token })).body.deliveries;
        return latest.status === 'delivered' && latest;
      },
      8000,
      'the retry recorded as delivered',
    );
    expect(logged).toMatchObject({ id, status: 'delivered', lastStatusCode: 204 });
    expect(logged.attempts).toBeGreaterThanOrEqual(3);
    const unknown = await call(t.url, 'POST', '/v1/ds/webhooks/deliveries/msg_nope/replay', { token: ds.token });
    expect([unknown.status, unknown.body.reason]).toEqual([404, 'unknown_delivery']);
  }, 30_000);

  it('lists overdue removals and exports the removals_overdue gauge', async () => {
    const frankRemoval = await t.dataSource.query(`SELECT id FROM removal WHERE status IN ('pending', 'delivered')`);
    expect(frankRemoval.length).toBeGreaterThan(0);
    expect((await call(t.url, 'GET', '/v1/ds/removals/overdue', { token: ds.token })).body.removals).toEqual([]);
    await t.dataSource.query(`UPDATE removal SET planned_at = now() - interval '6 minutes' WHERE status IN ('pending', 'delivered')`);
    const overdue = await call(t.url, 'GET', '/v1/ds/removals/overdue', { token: ds.token });
    expect(overdue.body.removals).toHaveLength(frankRemoval.length);
    expect(overdue.body.removals[0].overdueSeconds).toBeGreaterThanOrEqual(59);
    const metrics = await call(t.metricsUrl, 'GET', '/metrics');
    expect(metrics.text).toContain(`removals_overdue{org="acme"} ${frankRemoval.length}`);
    // a longer org SLA makes them not overdue
    await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { removals: { overdueAfterMinutes: 60 } } },
    });
    expect((await call(t.url, 'GET', '/v1/admin/orgs/acme/mls/removals/overdue', { token: t.adminToken })).body.removals).toEqual([]);
  });

  it('answers bad input with a 4xx, never a 500', async () => {
    const cs = await suite();
    const group = await createGroupWithExternalSenders(enc.encode('room-bad'), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    const path = `/v1/ds/groups/${groupPath(group)}`;
    const put = (body: unknown, p = path) => call(t.url, 'PUT', p, { token: ds.token, body });
    expect((await put({ groupInfo: b64(Uint8Array.of(0, 1, 0, 4, 9, 9, 9)) })).status).toBe(400);
    expect((await put({ groupInfo: 'not base64!' })).body).toMatchObject({ status: 400, reason: 'not_base64' });
    expect((await put({})).status).toBe(400);
    expect((await put({ groupInfo: 'A'.repeat(2_000_000) })).status).toBe(400);
    // the group report route alone takes a 10,000-member tree (16 MiB GroupInfo); beyond its bound, 413
    const big = await call(t.url, 'PUT', path, {
      token: ds.token,
      raw: JSON.stringify({ groupInfo: 'A'.repeat(23 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    const underBound = await call(t.url, 'PUT', path, {
      token: ds.token,
      raw: JSON.stringify({ groupInfo: 'A'.repeat(5 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(underBound.status).toBe(400);
    // every other route keeps the service-wide limit (4 MiB)
    const bigCommit = await call(t.url, 'POST', `${path}/commits/authorize`, {
      token: ds.token,
      raw: JSON.stringify({ commit: 'A'.repeat(5 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(bigCommit.status).toBe(413);
    // a KeyPackage where a GroupInfo belongs, and a GroupInfo under another group's id
    const kp = b64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: alice.publicPackage }));
    expect((await put({ groupInfo: kp })).status).toBe(422);
    const { groupInfoBytes } = await import('./mls-clients.js');
    expect((await put({ groupInfo: b64(await groupInfoBytes(group)) }, '/v1/ds/groups/b3RoZXI')).body.reason).toBe('group_id_mismatch');
    expect((await put({ groupInfo: b64(await groupInfoBytes(group)) }, '/v1/ds/groups/not=base64url')).body).toMatchObject({
      status: 400,
      reason: 'bad_group_id',
    });
    // an older epoch than registered
    const mainGroup = Buffer.from('room-main').toString('base64url');
    const first = await createGroupWithExternalSenders(enc.encode('room-main'), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    const stale = await put({ groupInfo: b64(await groupInfoBytes(first)) }, `/v1/ds/groups/${mainGroup}`);
    expect([stale.status, stale.body.reason]).toEqual([409, 'stale_epoch']);

    // authorization and validation with garbage
    const authorize = (body: unknown, g = mainGroup) => call(t.url, 'POST', `/v1/ds/groups/${g}/commits/authorize`, { token: ds.token, body });
    expect((await authorize({ commit: b64(Uint8Array.of(1, 2, 3)) })).status).toBe(400);
    expect((await authorize({ commit: kp })).body).toMatchObject({ allow: false, reasons: [{ code: 'commit_not_applicable' }] });
    expect((await authorize({ commit: kp }, Buffer.from('never-reported').toString('base64url'))).body).toMatchObject({
      status: 404,
      reason: 'unknown_group',
    });
    expect((await call(t.url, 'POST', '/v1/ds/key-packages/validate', { token: ds.token, body: { keyPackage: b64(Uint8Array.of(9)) } })).status).toBe(
      400,
    );
    expect(
      (await call(t.url, 'POST', '/v1/ds/credentials/validate', { token: ds.token, body: { credential: b64(Uint8Array.of(0, 2, 1)) } })).status,
    ).toBe(400);
    expect((await call(t.url, 'POST', '/v1/ds/credentials/validate', { token: ds.token, body: {} })).body).toMatchObject({
      status: 400,
      reason: 'empty',
    });
    expect((await call(t.url, 'GET', '/v1/ds/removals?wait=999', { token: ds.token })).status).toBe(400);
    expect((await call(t.url, 'GET', '/v1/ds/removals?after=-1', { token: ds.token })).status).toBe(400);

    // another org's delivery service sees none of acme's groups or removals
    const globexOrg = await t.app.get(OrgsService).create('test', 'globex', 'Globex');
    const globex = await t.app.get(CredentialsService).createDsClient('test', globexOrg, 'globex-ds', null);
    expect((await call(t.url, 'GET', `/v1/ds/groups/${mainGroup}/audit`, { token: globex.token })).status).toBe(404);
    expect((await call(t.url, 'GET', '/v1/ds/removals', { token: globex.token })).body.removals).toEqual([]);
    expect((await call(t.url, 'GET', `/v1/ds/groups/${mainGroup}/audit`)).status).toBe(401);
    const globexAdmins = `/v1/orgs/globex/mls/groups/${mainGroup}/admins/${carolAccount}`;
    expect((await call(t.url, 'PUT', globexAdmins, { token: t.adminToken })).status).toBe(404);
  });
  it('still catches a revoked device whose leaf was verified (and remembered) while its certificate was valid', async () => {
    const cs = await suite();
    const halAccount = await insertAccount(t.dataSource, orgId, 'hal@acme.example');
    const hal = await mlsClient(t.app, orgId, halAccount, 'hal');
    // Hal's leaf is reported while valid: its signature and key binding are now remembered
    const before = await ds.reportedGroup('room-cached-a', alice, [hal], externalSenders);
    expect(before.epoch1.body).toMatchObject({ continuity: 'seen_commit', removals: { planned: 0 } });
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [hal.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    // the very same leaf bytes (same KeyPackage) join another group: still judged revoked
    const created = await createGroupWithExternalSenders(
      enc.encode('room-cached-b'),
      alice.publicPackage,
      alice.privatePackage,
      [externalSenders],
      cs,
    );
    await ds.report(created);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: hal.publicPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body.allow).toBe(false);
    expect((await ds.report(added.newState)).body.removals).toEqual({ committed: 0, resigned: 0, planned: 1 });
    // and the group where the leaf was first seen valid: its same epoch reported again plans Hal's removal too
    const again = await ds.report(before.state);
    expect(again.status).toBe(200);
    const planned = await t.dataSource.query(
      `SELECT DISTINCT r.leaf_index FROM removal r JOIN mls_group g ON g.id = r.group_ref WHERE g.group_id = $1 AND r.device_id = $2`,
      [Buffer.from('room-cached-a'), hal.deviceId],
    );
    expect(planned).toEqual([{ leaf_index: 1 }]);
  });
});
