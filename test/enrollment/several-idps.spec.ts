import { randomBytes } from 'node:crypto';
import { keyBoundNonce, reauthenticationNonce } from '#protocol';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { csrPem, deviceAuthorization, deviceKeys } from '../support/device-client.js';
import { call } from '../support/test-app.js';
import { startTestIdp, type TestIdp, type TestIdpProfile, type TestIdpUser } from '../support/test-idp.js';
import {
  APP_CLIENT,
  PUBLIC_URL,
  SERVICE_CLIENT,
  enrollNative,
  insertScimAccount,
  lastRefusal,
  newDeviceKey,
  setEnrollmentPolicy,
  startHarness,
  subjectsOf,
  type Harness,
} from './enrollment-harness.js';

/**
 * Issue 13 §4: several IdPs per org. A subject means something only under the IdP connection
 * that issued it: a second IdP that gives someone the first IdP's `sub` (or a name the first
 * IdP's account carries) binds nothing of the first IdP's accounts. One person signs in through
 * two connections only after an admin links the account to the second one.
 */
describe('several IdP connections in one org', () => {
  let h: Harness;
  /** An Entra-like tenant, the org's second connection. */
  let entra: TestIdp;
  /** A second Okta-like org whose user ids may collide with the first one's. */
  let oktaEu: TestIdp;
  const ids: Record<'okta' | 'entra' | 'okta-eu', string> = { okta: '', entra: '', 'okta-eu': '' };
  const accounts: Record<string, string> = {};

  const admin = (method: string, path: string, body?: unknown) =>
    call(h.t.url, method, `/v1/admin/orgs/${h.org.slug}${path}`, { token: h.t.adminToken, body });
  const links = (accountId: string) => `/accounts/${accountId}/idp-links`;

  /** A native enrollment with a token minted by `idp` for `login`; the token's issuer picks the connection. */
  async function enrollThrough(idp: TestIdp, login: string, extra: Record<string, unknown> = {}) {
    const key = await newDeviceKey();
    return enrollNative(h, key, await idp.mintIdToken(idp.idTokenClaims(login, APP_CLIENT, key.nonce)), extra);
  }
  const subjectUnder = (idp: TestIdp, login: string) => {
    const c = idp.idTokenClaims(login, APP_CLIENT, 'n');
    return idp.profile === 'entra' ? `${String(c.tid).toLowerCase()}:${String(c.oid).toLowerCase()}` : String(c.sub);
  };
  const enrolledThrough = async (deviceId: string) =>
    (await h.t.dataSource.query(`SELECT details FROM audit_event WHERE action = 'device.enroll' AND target = $1`, [`device:${deviceId}`]))[0]
      .details as { idpConnection: string; accountId: string; accountMatchedBy: string };
  const devicesOf = async (accountId: string) =>
    (await h.t.dataSource.query(`SELECT count(*)::int AS n FROM device WHERE account_id = $1`, [accountId]))[0].n as number;

  async function addIdp(profile: TestIdpProfile, name: 'entra' | 'okta-eu', users: Record<string, TestIdpUser>): Promise<TestIdp> {
    const idp = await startTestIdp({
      profile,
      clients: [
        { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
        { clientId: APP_CLIENT, redirectUris: ['http://127.0.0.1/app-callback'] },
      ],
      users,
    });
    const connection = await h.t.app.get(OrgsService).addIdpConnection('test', h.org, {
      name,
      kind: profile,
      issuer: idp.issuer,
      clientId: SERVICE_CLIENT.clientId,
      clientSecret: SERVICE_CLIENT.clientSecret,
      nativeClientIds: [APP_CLIENT],
      matchByVerifiedEmail: true,
    });
    ids[name] = connection.id;
    return idp;
  }

  beforeAll(async () => {
    h = await startHarness('okta', {
      orgSlug: 'several-idps',
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
        bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] },
        dave: { email: 'dave@acme.example', amr: ['pwd', 'mfa'] },
      },
    });
    ids.okta = h.connectionId;
    entra = await addIdp('entra', 'entra', {
      alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
      bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] },
      // Dave's Entra identity carries another address: only an explicit subject links it.
      dave: { email: 'd.smith@acme-eu.example', amr: ['pwd', 'mfa'] },
      // Someone else whose (verified) address in this tenant is Alice's.
      eve: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
    });
    oktaEu = await addIdp('okta', 'okta-eu', {
      // Another Okta org's user whose user id is the one Alice has in the first Okta org.
      mallory: { email: 'mallory@eu.example', sub: subjectUnder(h.idp, 'alice'), amr: ['pwd', 'mfa'] },
      // And one whose verified address there is Alice's.
      trudy: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
    });
    for (const u of ['alice', 'bob', 'dave']) accounts[u] = await insertScimAccount(h, { userName: `${u}@acme.example` });
  });
  afterAll(async () => {
    await h.close();
    await entra.close();
    await oktaEu.close();
  });

  it("picks the connection by the token's issuer; asks which one when nothing tells them apart", async () => {
    const viaOkta = await enrollThrough(h.idp, 'alice');
    expect([viaOkta.status, viaOkta.body.accountId]).toEqual([201, accounts.alice]);
    expect(await enrolledThrough(viaOkta.body.deviceId)).toMatchObject({ idpConnection: ids.okta });
    const viaEntra = await enrollThrough(entra, 'bob');
    expect([viaEntra.status, viaEntra.body.accountId]).toEqual([201, accounts.bob]);
    expect(await enrolledThrough(viaEntra.body.deviceId)).toMatchObject({ idpConnection: ids.entra });
    // Each subject is bound under the connection it came through, and only there.
    expect(await subjectsOf(h, accounts.alice)).toEqual({ [ids.okta]: subjectUnder(h.idp, 'alice') });
    expect(await subjectsOf(h, accounts.bob)).toEqual({ [ids.entra]: subjectUnder(entra, 'bob') });

    // A request that names a connection has its token checked against that one: Okta's keys do not verify Entra's token.
    const crossed = await enrollThrough(entra, 'bob', { idpConnection: 'okta' });
    expect([crossed.status, crossed.body.reason]).toEqual([401, 'id_token_unknown_key']);
    // A browser flow starts before any token exists: with three connections it must name one.
    const key = await newDeviceKey();
    const start = (extra: Record<string, unknown>) =>
      call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
        body: { csr: key.csrPem, deviceName: 'laptop', platform: 'linux', ciphersuite: 1, flow: 'redirect', ...extra },
      });
    const ambiguous = await start({});
    expect([ambiguous.status, ambiguous.body.reason]).toEqual([400, 'idp_connection_ambiguous']);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'idp_connection_ambiguous' });
    const named = await start({ idpConnection: 'entra' });
    expect(named.status).toBe(201);
    expect(new URL(named.body.authorizationUrl).href.startsWith(entra.issuer)).toBe(true);
  });

  it("a second IdP's colliding subject does not bind to the first IdP's account, nor does its name match", async () => {
    expect(subjectUnder(oktaEu, 'mallory')).toBe(subjectUnder(h.idp, 'alice'));
    const devicesBefore = await devicesOf(accounts.alice);
    const collided = await enrollThrough(oktaEu, 'mallory');
    expect([collided.status, collided.body.reason]).toEqual([403, 'account_not_found']);
    // The same person's verified address through another connection does not capture the account either.
    const byName = await enrollThrough(oktaEu, 'trudy');
    expect([byName.status, byName.body.reason]).toEqual([403, 'account_not_linked']);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'account_not_linked' });
    const viaEntra = await enrollThrough(entra, 'eve');
    expect([viaEntra.status, viaEntra.body.reason]).toEqual([403, 'account_not_linked']);
    expect(await devicesOf(accounts.alice)).toBe(devicesBefore);
    expect(await subjectsOf(h, accounts.alice)).toEqual({ [ids.okta]: subjectUnder(h.idp, 'alice') });

    // With just-in-time accounts, the colliding subject is a new person with an account of their own.
    await setEnrollmentPolicy(h, { allowJitAccounts: true });
    try {
      const jit = await enrollThrough(oktaEu, 'mallory');
      expect(jit.status).toBe(201);
      expect(jit.body.accountId).not.toBe(accounts.alice);
      expect(await subjectsOf(h, jit.body.accountId)).toEqual({ [ids['okta-eu']]: subjectUnder(h.idp, 'alice') });
      // And Alice, through her own IdP, still gets her own account.
      const alice = await enrollThrough(h.idp, 'alice');
      expect([alice.status, alice.body.accountId]).toEqual([201, accounts.alice]);
    } finally {
      await setEnrollmentPolicy(h, {});
    }
  });

  it('one person enrolls through both connections once an admin links the account to the second', async () => {
    const before = await enrollThrough(entra, 'alice');
    expect([before.status, before.body.reason]).toEqual([403, 'account_not_linked']);

    // A link without a subject: bound at Alice's first sign-in through Entra, by Entra's own rules (here her verified email).
    const linked = await admin('POST', links(accounts.alice), { idpConnection: 'entra' });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ idpConnectionId: ids.entra, idpConnection: 'entra', subject: null, linkedBy: 'admin' });
    const again = await admin('POST', links(accounts.alice), { idpConnection: ids.entra });
    expect([again.status, again.body.reason]).toEqual([409, 'idp_link_exists']);

    const viaEntra = await enrollThrough(entra, 'alice');
    expect([viaEntra.status, viaEntra.body.accountId]).toEqual([201, accounts.alice]);
    expect(await enrolledThrough(viaEntra.body.deviceId)).toMatchObject({ idpConnection: ids.entra, accountMatchedBy: 'user_name' });
    const viaOkta = await enrollThrough(h.idp, 'alice');
    expect([viaOkta.status, viaOkta.body.accountId]).toEqual([201, accounts.alice]);
    expect(await subjectsOf(h, accounts.alice)).toEqual({ [ids.okta]: subjectUnder(h.idp, 'alice'), [ids.entra]: subjectUnder(entra, 'alice') });
    // Now bound: someone else in the tenant with Alice's address is refused as before (the account's subject there is Alice's).
    const eve = await enrollThrough(entra, 'eve');
    expect([eve.status, eve.body.reason]).toEqual([403, 'account_subject_mismatch']);

    const listed = await admin('GET', links(accounts.alice));
    expect(listed.status).toBe(200);
    expect(
      listed.body.idpLinks.map((l: { idpConnection: string; subject: string; linkedBy: string }) => [l.idpConnection, l.subject, l.linkedBy]),
    ).toEqual([
      ['okta', subjectUnder(h.idp, 'alice'), 'sign_in'],
      ['entra', subjectUnder(entra, 'alice'), 'admin'],
    ]);
    const audit = await h.t.dataSource.query(`SELECT action, details FROM audit_event WHERE target = $1 AND action LIKE 'account.%' ORDER BY id`, [
      `account:${accounts.alice}`,
    ]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['account.bind_idp_subject', 'account.idp_link', 'account.bind_idp_subject']);
    expect(audit[2].details).toEqual({ matchedBy: 'user_name', idpConnection: ids.entra });
  });

  it('an admin links a subject explicitly, refuses one another account holds, and unlinks', async () => {
    // Dave's Entra identity shares nothing with his account but the subject the admin names (Entra: tid:oid, any case).
    const subject = subjectUnder(entra, 'dave');
    const refusedFirst = await enrollThrough(entra, 'dave');
    expect([refusedFirst.status, refusedFirst.body.reason]).toEqual([403, 'account_not_found']);
    const linked = await admin('POST', links(accounts.dave), { idpConnection: 'entra', subject: subject.toUpperCase() });
    expect([linked.status, linked.body.subject]).toEqual([201, subject]);
    const viaEntra = await enrollThrough(entra, 'dave');
    expect([viaEntra.status, viaEntra.body.accountId]).toEqual([201, accounts.dave]);
    expect(await enrolledThrough(viaEntra.body.deviceId)).toMatchObject({ accountMatchedBy: 'idp_subject' });

    // Alice's Okta subject is bound to Alice's account: it cannot name Dave's too.
    const taken = await admin('POST', links(accounts.dave), { idpConnection: 'okta', subject: subjectUnder(h.idp, 'alice') });
    expect([taken.status, taken.body.reason]).toEqual([409, 'idp_subject_taken']);
    const unknownConnection = await admin('POST', links(accounts.dave), { idpConnection: 'nope' });
    expect([unknownConnection.status, unknownConnection.body.reason]).toEqual([404, 'idp_connection_not_found']);
    const unknownAccount = await admin('POST', links('00000000-0000-4000-8000-000000000000'), { idpConnection: 'entra' });
    expect([unknownAccount.status, unknownAccount.body.reason]).toEqual([404, 'unknown_account']);
    const badBody = await admin('POST', links(accounts.dave), { idpConnection: 'entra', subject: 42 });
    expect(badBody.status).toBe(400);
    const noSuchLink = await admin('DELETE', `${links(accounts.dave)}/00000000-0000-4000-8000-000000000000`);
    expect([noSuchLink.status, noSuchLink.body.reason]).toEqual([404, 'idp_link_not_found']);
    // Another org's admin path does not reach this account.
    await call(h.t.url, 'POST', '/v1/admin/orgs', { token: h.t.adminToken, body: { slug: 'other-org', name: 'Other' } });
    const elsewhere = await call(h.t.url, 'GET', `/v1/admin/orgs/other-org${links(accounts.dave)}`, { token: h.t.adminToken });
    expect([elsewhere.status, elsewhere.body.reason]).toEqual([404, 'unknown_account']);

    const unlinked = await admin('DELETE', `${links(accounts.dave)}/${linked.body.id}`);
    expect(unlinked.status).toBe(204);
    const after = await enrollThrough(entra, 'dave');
    expect([after.status, after.body.reason]).toEqual([403, 'account_not_found']);
    const [audit] = await h.t.dataSource.query(`SELECT actor, details FROM audit_event WHERE action = 'account.idp_unlink' AND target = $1`, [
      `account:${accounts.dave}`,
    ]);
    expect(audit.details).toMatchObject({ idpConnection: ids.entra, subject, linkedBy: 'admin' });
  });

  it('re-authentication finds the person by the subject bound under the connection they signed in through', async () => {
    const keys = await deviceKeys(1);
    const key = { csrPem: await csrPem(keys), spki: keys.spki, nonce: keyBoundNonce(keys.spki) };
    const enrolled = await enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce)));
    expect(enrolled.status).toBe(201);
    const chainDer = (enrolled.body.chainDer as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
    const reauthenticate = async (idp: TestIdp, login: string) => {
      const path = `/v1/orgs/${h.org.slug}/devices/${enrolled.body.deviceId}/reauthenticate`;
      const jti = randomBytes(16).toString('hex');
      const body = JSON.stringify({ idToken: await idp.mintIdToken(idp.idTokenClaims(login, APP_CLIENT, reauthenticationNonce(keys.spki, jti))) });
      const authorization = await deviceAuthorization(keys, chainDer, { method: 'POST', path, body, jti });
      return call(h.t.url, 'POST', path, { raw: body, headers: { authorization, 'content-type': 'application/json' } });
    };
    // The other Okta org's user with Alice's user id is not Alice: that subject is Mallory's own (just-in-time) account there.
    const collided = await reauthenticate(oktaEu, 'mallory');
    expect([collided.status, collided.body.reason]).toEqual([403, 'not_device_owner']);
    // Alice through the Entra connection the admin linked her account to is Alice.
    const viaEntra = await reauthenticate(entra, 'alice');
    expect([viaEntra.status, viaEntra.body.deviceId]).toEqual([200, enrolled.body.deviceId]);
  });
});
