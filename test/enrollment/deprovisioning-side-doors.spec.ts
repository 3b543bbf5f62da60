import { generateDeviceKeys, IdentityClient, keyBoundNonce } from '#client-sdk';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { scimRequester, type ScimOrg } from '../scim/scim-org.js';
import {
  APP_CLIENT,
  enrollNative,
  lastRefusal,
  nativeSignIn,
  newDeviceKey,
  setEnrollmentPolicy,
  startHarness,
  subjectsOf,
  type Harness,
} from './enrollment-harness.js';

/**
 * Issue 13 §3: what SCIM deprovisioned stays deprovisioned. Just-in-time enrollment cannot
 * mint a fresh account for a deleted identity, and the entitlement group is a precondition of
 * reactivation, enrollment (JIT included) and renewal, with member ids matched in any case.
 */
describe('deprovisioning cannot be undone from the side (issue 13 §3)', () => {
  let h: Harness;
  let scim: ScimOrg['scim'];

  beforeAll(async () => {
    h = await startHarness('okta', {
      orgSlug: 'side',
      users: {
        jit: { email: 'jit@acme.example' },
        gone: { email: 'gone@acme.example' },
        bob: { email: 'bob@acme.example' },
        carol: { email: 'carol@acme.example' },
        newbie: { email: 'newbie@acme.example' },
        back: { email: 'back@acme.example' },
      },
      // Accounts are bound only through what the IdP provisioned (the externalId).
      connection: { matchByVerifiedEmail: false },
    });
    scim = scimRequester(`${h.t.url}/scim/v2/${h.org.slug}`, (await h.t.app.get(CredentialsService).createScimToken('test', h.org, 'okta')).token);
  });
  afterAll(() => h.close());

  const subjectOf = (login: string) => String(h.idp.idTokenClaims(login, APP_CLIENT, 'n').sub);
  const enrollAs = async (login: string) => {
    const key = await newDeviceKey();
    return enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims(login, APP_CLIENT, key.nonce)));
  };
  const accountsCarrying = async (login: string) =>
    (
      await h.t.dataSource.query(
        `SELECT count(*)::int AS n FROM account a WHERE org_id = $1
            AND (external_id = $2 OR EXISTS (SELECT 1 FROM account_idp_binding b WHERE b.account_id = a.id AND b.subject = $2))`,
        [h.org.id, subjectOf(login)],
      )
    )[0].n as number;
  const provision = async (login: string) => {
    const res = await scim('POST', '/Users', {
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `${login}@acme.example`,
        externalId: subjectOf(login),
        active: true,
        emails: [{ value: `${login}@acme.example`, primary: true }],
      },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const setScimPolicy = (policy: Record<string, unknown>) =>
    h.t.dataSource.query(`UPDATE org SET settings = jsonb_set(settings, '{scim}', $2::jsonb) WHERE id = $1`, [h.org.id, JSON.stringify(policy)]);

  describe('just-in-time accounts', () => {
    beforeAll(() => setEnrollmentPolicy(h, { allowJitAccounts: true }));
    afterAll(() => setEnrollmentPolicy(h, {}));

    it('a SCIM-deleted JIT account does not come back as a new account at the next enrollment', async () => {
      const first = await enrollAs('jit');
      expect(first.status).toBe(201);
      expect((await scim('DELETE', `/Users/${first.body.accountId}`)).status).toBe(204);
      const again = await enrollAs('jit');
      expect([again.status, again.body.reason]).toEqual([403, 'account_inactive']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'account_inactive' });
      expect(await accountsCarrying('jit')).toBe(1);
    });

    it('nor does a deleted provisioned identity (its tombstone carries the externalId, never bound)', async () => {
      const id = await provision('gone');
      expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
      const res = await enrollAs('gone');
      expect([res.status, res.body.reason]).toEqual([403, 'account_inactive']);
      expect(await accountsCarrying('gone')).toBe(1);
    });
  });

  it('only the IdP undoes a deletion: provisioned again, the person binds the new account and the tombstone lets the subject go', async () => {
    const first = await provision('back');
    expect((await enrollAs('back')).body.accountId).toBe(first);
    expect((await scim('DELETE', `/Users/${first}`)).status).toBe(204);
    const refused = await enrollAs('back');
    expect([refused.status, refused.body.reason]).toEqual([403, 'account_not_found']);
    const second = await provision('back');
    const enrolled = await enrollAs('back');
    expect([enrolled.status, enrolled.body.accountId]).toEqual([201, second]);
    expect(await subjectsOf(h, second)).toEqual({ [h.connectionId]: subjectOf('back') });
    expect(await subjectsOf(h, first)).toEqual({});
  });

  describe('the entitlement group', () => {
    let bob: string;
    let carol: string;
    let group: string;

    beforeAll(async () => {
      bob = await provision('bob');
      carol = await provision('carol');
      // Entra sends member ids as it stores them; an upper-case id names the same account.
      const res = await scim('POST', '/Groups', {
        body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Chat Users', members: [{ value: bob.toUpperCase() }] },
      });
      expect(res.status).toBe(201);
      group = res.body.id;
      await setScimPolicy({ entitlementGroupDisplayName: 'chat users' });
    });

    it('a member enrolls (member ids match case-insensitively); a non-member is refused', async () => {
      const member = await enrollAs('bob');
      expect([member.status, member.body.accountId]).toEqual([201, bob]);
      const outsider = await enrollAs('carol');
      expect([outsider.status, outsider.body.reason]).toEqual([403, 'account_not_entitled']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'account_not_entitled' });
      expect(carol).toBeDefined();
    });

    it('JIT gives no account to a person outside the entitlement group, and leaves none behind', async () => {
      await setEnrollmentPolicy(h, { allowJitAccounts: true });
      try {
        const res = await enrollAs('newbie');
        expect([res.status, res.body.reason]).toEqual([403, 'account_not_entitled']);
        expect(await accountsCarrying('newbie')).toBe(0);
      } finally {
        await setEnrollmentPolicy(h, {});
      }
    });

    it('renewal is refused once the account is outside the entitlement group', async () => {
      const client = new IdentityClient({ baseUrl: h.t.url, org: h.org.slug });
      const keys = await generateDeviceKeys(1);
      const device = await client.enroll({
        flow: 'token',
        keys,
        idToken: await nativeSignIn(h.idp, 'bob', await keyBoundNonce(keys)),
        deviceName: 'bob phone',
        platform: 'ios',
      });
      expect((await client.session(device).renew()).keyRotated).toBe(false);
      // The org points its entitlement at another group: bob's next renewal is refused.
      await setScimPolicy({ entitlementGroupDisplayName: 'Someone Else' });
      try {
        await expect(client.session(device).renew()).rejects.toMatchObject({ reason: 'account_not_entitled' });
      } finally {
        await setScimPolicy({ entitlementGroupDisplayName: 'chat users' });
      }
    });

    it('a profile push (active:true) does not reactivate a person who left the entitlement group', async () => {
      const left = await scim('PATCH', `/Groups/${group}`, {
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${bob}"]` }] },
      });
      expect(left.status).toBeLessThan(300);
      const [{ active: afterLeaving }] = await h.t.dataSource.query(`SELECT active FROM account WHERE id = $1`, [bob]);
      expect(afterLeaving).toBe(false);

      const push = await scim('PATCH', `/Users/${bob}`, {
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] },
      });
      expect(push.status).toBe(403);
      const [{ active }] = await h.t.dataSource.query(`SELECT active FROM account WHERE id = $1`, [bob]);
      expect(active).toBe(false);
      expect((await enrollAs('bob')).body.reason).toBe('account_inactive');

      // Back in the group, the same push reactivates.
      await scim('PATCH', `/Groups/${group}`, {
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }] },
      });
      const again = await scim('PATCH', `/Users/${bob}`, {
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: true }] },
      });
      expect(again.status).toBeLessThan(300);
      const [{ active: reactivated }] = await h.t.dataSource.query(`SELECT active FROM account WHERE id = $1`, [bob]);
      expect(reactivated).toBe(true);
    });
  });
});
