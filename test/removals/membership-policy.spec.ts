// Issue 12 §4: who may add members. The org default (settings.groups.membershipPolicy),
// overridable per group by a room admin (device-signed) or an org admin; commit authorization
// refuses a non-admin's Add under `admins-only` with `add_requires_room_admin`.
import { createCommit, emptyPskIndex, encodeMlsMessage, joinGroup, type ClientState, type Extension } from 'ts-mls';
import { createGroupWithExternalSenders } from '#mls';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { deviceAuthorization } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { FakeDeliveryService, groupPath, mlsClient, type MlsClient, publishedExternalSenders, suite } from './mls-clients.js';

const enc = new TextEncoder();

describe('membership policy: members or admins-only (commit authorization over HTTP, real PostgreSQL)', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let externalSenders: Extension;
  let alice: MlsClient, bob: MlsClient, bobPhone: MlsClient, carol: MlsClient;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    const aliceAccount = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
    const bobAccount = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
    const carolAccount = await insertAccount(t.dataSource, orgId, 'carol@acme.example');
    alice = await mlsClient(t.app, orgId, aliceAccount, 'alice');
    bob = await mlsClient(t.app, orgId, bobAccount, 'bob');
    bobPhone = await mlsClient(t.app, orgId, bobAccount, 'bob-phone');
    carol = await mlsClient(t.app, orgId, carolAccount, 'carol');
    externalSenders = await publishedExternalSenders(t.url, 'acme');
  });
  afterAll(() => t.close());

  /** Alice (room admin as creator) makes a group with Bob in it; returns both states. */
  async function aliceAndBob(name: string): Promise<{ alice: ClientState; bob: ClientState }> {
    const cs = await suite();
    const created = await createGroupWithExternalSenders(enc.encode(name), alice.publicPackage, alice.privatePackage, [externalSenders], cs);
    expect((await ds.report(created)).status).toBe(200);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: bob.publicPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    expect((await ds.authorize(created, encodeMlsMessage(added.commit))).body).toMatchObject({ allow: true });
    const bobState = await joinGroup(added.welcome!, bob.publicPackage, bob.privatePackage, emptyPskIndex, cs);
    expect((await ds.report(added.newState)).body).toMatchObject({ epoch: '1', members: 2 });
    return { alice: added.newState, bob: bobState };
  }

  /** What the DS hears when `state`'s member commits Adds of these clients. */
  async function addsBy(state: ClientState, ...added: MlsClient[]) {
    const commit = await createCommit(
      { state, cipherSuite: await suite() },
      { extraProposals: added.map((c) => ({ proposalType: 'add' as const, add: { keyPackage: c.publicPackage } })), wireAsPublicMessage: true },
    );
    const res = await ds.authorize(state, encodeMlsMessage(commit.commit));
    expect(res.status).toBe(200);
    return { allow: res.body.allow as boolean, codes: (res.body.reasons as { code: string }[]).map((r) => r.code) };
  }

  const policyPath = (state: ClientState) => `/v1/orgs/acme/mls/groups/${groupPath(state)}/membership-policy`;
  async function putBy(device: MlsClient, path: string, membershipPolicy: unknown) {
    const raw = JSON.stringify({ membershipPolicy });
    return call(t.url, 'PUT', path, {
      raw,
      headers: {
        'content-type': 'application/json',
        authorization: await deviceAuthorization(device.device, device.chainDer, { method: 'PUT', path, body: raw }),
      },
    });
  }

  it('members (the default): any member adds any valid account', async () => {
    const states = await aliceAndBob('room-open');
    expect((await call(t.url, 'GET', policyPath(states.alice), { token: t.adminToken })).body).toEqual({
      membershipPolicy: 'members',
      source: 'org',
      orgDefault: 'members',
    });
    expect(await addsBy(states.bob, carol)).toEqual({ allow: true, codes: [] });
    const audit = await call(t.url, 'GET', `/v1/ds/groups/${groupPath(states.alice)}/audit`, { token: ds.token });
    expect(audit.body.membershipPolicy).toBe('members');
  });

  it('admins-only, set by a room admin: a member may add only its own devices, a room admin anyone', async () => {
    const states = await aliceAndBob('room-closed');
    const path = policyPath(states.alice);

    // Bob is no room admin: his device may not change the policy
    const byBob = await putBy(bob, path, 'admins-only');
    expect([byBob.status, byBob.body.reason]).toEqual([403, 'not_room_admin']);
    expect((await addsBy(states.bob, carol)).allow).toBe(true);

    const byAlice = await putBy(alice, path, 'admins-only');
    expect([byAlice.status, byAlice.body]).toEqual([200, { membershipPolicy: 'admins-only', source: 'group', orgDefault: 'members' }]);
    const [event] = await t.dataSource.query(
      `SELECT actor, target, details FROM audit_event WHERE org_id = $1 AND action = 'mls_group.membership_policy' ORDER BY id DESC LIMIT 1`,
      [orgId],
    );
    expect(event.details).toEqual({ from: null, to: 'admins-only' });
    expect(event.target).toBe(`mls_group:${groupPath(states.alice)}`);

    expect(await addsBy(states.bob, carol)).toEqual({ allow: false, codes: ['add_requires_room_admin'] });
    // adding his own phone changes who is in the room by nobody
    expect(await addsBy(states.bob, bobPhone)).toEqual({ allow: true, codes: [] });
    expect(await addsBy(states.bob, bobPhone, carol)).toEqual({ allow: false, codes: ['add_requires_room_admin'] });
    expect(await addsBy(states.alice, carol)).toEqual({ allow: true, codes: [] });

    // granted room admin by Alice, Bob may add Carol too
    const grant = `/v1/orgs/acme/mls/groups/${groupPath(states.alice)}/admins/${bob.accountId}`;
    expect((await call(t.url, 'PUT', grant, { token: t.adminToken })).status).toBe(200);
    expect(await addsBy(states.bob, carol)).toEqual({ allow: true, codes: [] });
    expect((await call(t.url, 'DELETE', grant, { token: t.adminToken })).status).toBe(200);

    // the DS sees the policy in force in the group audit
    expect((await call(t.url, 'GET', `/v1/ds/groups/${groupPath(states.alice)}/audit`, { token: ds.token })).body.membershipPolicy).toBe(
      'admins-only',
    );
  });

  it('org default admins-only applies to every group without its own policy; null returns a group to the default', async () => {
    const open = await aliceAndBob('room-default-1');
    const settings = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { groups: { membershipPolicy: 'admins-only' } } },
    });
    expect(settings.status).toBe(200);
    expect(await addsBy(open.bob, carol)).toEqual({ allow: false, codes: ['add_requires_room_admin'] });

    // an org admin opens this one group
    const opened = await call(t.url, 'PUT', policyPath(open.alice), { token: t.adminToken, body: { membershipPolicy: 'members' } });
    expect(opened.body).toEqual({ membershipPolicy: 'members', source: 'group', orgDefault: 'admins-only' });
    expect((await addsBy(open.bob, carol)).allow).toBe(true);
    const other = await aliceAndBob('room-default-2');
    expect((await addsBy(other.bob, carol)).codes).toEqual(['add_requires_room_admin']);

    // and returns it to the org default
    const back = await call(t.url, 'PUT', policyPath(open.alice), { token: t.adminToken, body: { membershipPolicy: null } });
    expect(back.body).toEqual({ membershipPolicy: 'admins-only', source: 'org', orgDefault: 'admins-only' });
    expect((await addsBy(open.bob, carol)).codes).toEqual(['add_requires_room_admin']);

    await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { groups: { membershipPolicy: 'members' } } },
    });
    expect((await addsBy(open.bob, carol)).allow).toBe(true);
  });

  it('answers bad input with a 4xx and a reason, and writes nothing', async () => {
    const states = await aliceAndBob('room-bad-policy');
    const path = policyPath(states.alice);
    expect((await call(t.url, 'PUT', path, { token: t.adminToken, body: { membershipPolicy: 'admins-only' } })).status).toBe(200);
    for (const body of [{ membershipPolicy: 'everyone' }, {}, { membershipPolicy: 1 }, []]) {
      const res = await call(t.url, 'PUT', path, { token: t.adminToken, body });
      expect(res.status).toBe(400);
      // DTO refusals name the field in problem+json `errors`, as on every route
      expect(res.body.errors.join(' ')).toContain('membershipPolicy');
    }
    const badDevice = await putBy(alice, path, 'open');
    expect(badDevice.status).toBe(400);
    expect((await call(t.url, 'GET', path, { token: t.adminToken })).body.membershipPolicy).toBe('admins-only');

    const settings = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { groups: { membershipPolicy: 'anyone' } } },
    });
    expect([settings.status, settings.body.reason]).toEqual([400, 'invalid_settings']);
    expect(settings.body.errors).toEqual(['groups.membershipPolicy must be one of members, admins-only']);

    const unknown = `/v1/orgs/acme/mls/groups/${Buffer.from('never-reported').toString('base64url')}/membership-policy`;
    expect((await call(t.url, 'PUT', unknown, { token: t.adminToken, body: { membershipPolicy: 'members' } })).body.reason).toBe('unknown_group');
    expect((await call(t.url, 'GET', `/v1/orgs/acme/mls/groups/not=base64url/membership-policy`, { token: t.adminToken })).body.reason).toBe(
      'bad_group_id',
    );
    // unauthenticated, a DS token and another org's paths get nothing
    expect((await call(t.url, 'GET', path)).status).toBe(401);
    expect((await call(t.url, 'PUT', path, { token: ds.token, body: { membershipPolicy: 'members' } })).status).toBe(401);
    await t.app.get(OrgsService).create('test', 'globex', 'Globex');
    const globex = path.replace('/orgs/acme/', '/orgs/globex/');
    expect((await call(t.url, 'PUT', globex, { token: t.adminToken, body: { membershipPolicy: 'members' } })).status).toBe(404);
    const byAliceElsewhere = await putBy(alice, globex, 'members');
    expect(byAliceElsewhere.status).toBe(401);
  });
});
