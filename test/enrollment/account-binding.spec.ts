import { call } from '../support/test-app.js';
import {
  APP_CLIENT,
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
 * Issue 13 §2: a first enrollment binds an account only through identifiers the IdP controls
 * (subject, the SCIM externalId it provisioned). Binding by email/UPN is the IdP connection's
 * opt-in and needs the IdP to vouch for the email (Okta `email_verified`, Entra `xms_edov`):
 * a token carrying someone else's unverified address must not capture their account.
 */
describe.each(['okta', 'entra'] as const)('account binding through IdP-controlled identifiers (%s-like IdP)', (profile) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(profile, {
      orgSlug: `bind-${profile}`,
      users: {
        // Mallory set her (unverified) profile email to Alice's address.
        mallory: { email: 'alice@acme.example', preferredUsername: 'mallory@acme.example', emailVerified: false },
        alice: { email: 'alice@acme.example' },
        dave: { email: 'dave@acme.example' },
        erin: { email: 'erin@acme.example' },
      },
      connection: { matchByVerifiedEmail: false },
    });
  });
  afterAll(() => h.close());

  const optIn = (on: boolean) => h.t.dataSource.query(`UPDATE idp_connection SET match_by_verified_email = $2 WHERE id = $1`, [h.connectionId, on]);
  const enrollAs = async (login: string) => {
    const key = await newDeviceKey();
    return enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims(login, APP_CLIENT, key.nonce)));
  };
  const subjectOf = async (accountId: string) => (await subjectsOf(h, accountId))[h.connectionId] ?? null;
  /** What SCIM provisioning from this IdP sends as externalId: Okta's user id, Entra's object id. */
  const externalIdOf = (login: string) => {
    const claims = h.idp.idTokenClaims(login, APP_CLIENT, 'n');
    return String(profile === 'entra' ? claims.oid : claims.sub);
  };

  it('by default, a name match binds nothing, even with a verified email; the provisioned externalId binds', async () => {
    const alice = await insertScimAccount(h, { userName: 'alice@acme.example' });
    const refused = await enrollAs('alice');
    expect([refused.status, refused.body.reason]).toEqual([403, 'account_not_found']);
    expect(await subjectOf(alice)).toBeNull();

    const dave = await insertScimAccount(h, { userName: 'dave@acme.example', externalId: externalIdOf('dave') });
    const enrolled = await enrollAs('dave');
    expect([enrolled.status, enrolled.body.accountId]).toEqual([201, dave]);
    expect(await subjectOf(dave)).not.toBeNull();
  });

  it('opted in: an unverified email does not capture the account; the verified owner then binds it', async () => {
    await optIn(true);
    try {
      const [{ id: alice }] = await h.t.dataSource.query(`SELECT id FROM account WHERE org_id = $1 AND user_name = 'alice@acme.example'`, [h.org.id]);
      const attack = await enrollAs('mallory');
      expect([attack.status, attack.body.reason]).toEqual([403, 'account_not_found']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'account_not_found' });
      expect(await subjectOf(alice)).toBeNull();

      const owner = await enrollAs('alice');
      expect([owner.status, owner.body.accountId]).toEqual([201, alice]);
      const [audit] = await h.t.dataSource.query(
        `SELECT details FROM audit_event WHERE org_id = $1 AND action = 'device.enroll' AND details->>'accountId' = $2`,
        [h.org.id, alice],
      );
      expect(audit.details.accountMatchedBy).toBe('user_name');
    } finally {
      await optIn(false);
    }
  });

  it('with just-in-time accounts, an unverified email colliding with a provisioned account is refused, not merged', async () => {
    const erin = await insertScimAccount(h, { userName: 'erin@acme.example' });
    h.idp.users.get('erin')!.emailVerified = false;
    await setEnrollmentPolicy(h, { allowJitAccounts: true });
    await optIn(true);
    try {
      const res = await enrollAs('erin');
      // JIT may not create a second erin@ either: the provisioned account holds the name.
      expect([res.status, res.body.reason]).toEqual([403, 'account_subject_mismatch']);
      expect(await subjectOf(erin)).toBeNull();
      const [{ n }] = await h.t.dataSource.query(
        `SELECT count(*)::int AS n FROM account WHERE org_id = $1 AND lower(user_name) = 'erin@acme.example'`,
        [h.org.id],
      );
      expect(n).toBe(1);
    } finally {
      await optIn(false);
      await setEnrollmentPolicy(h, {});
    }
  });

  it('the admin API shows and sets the opt-in per IdP connection (off unless asked)', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      call(h.t.url, method, `/v1/admin/orgs/${h.org.slug}/idp-connections${path}`, { token: h.t.adminToken, body });
    const listed = await admin('GET', '');
    expect(listed.status).toBe(200);
    expect(listed.body.idpConnections.find((c: { id: string }) => c.id === h.connectionId)).toMatchObject({ matchByVerifiedEmail: false });
    const created = await admin('POST', '', {
      name: 'second',
      kind: 'oidc',
      issuer: 'https://idp.second.example',
      clientId: 'x',
      matchByVerifiedEmail: true,
    });
    expect([created.status, created.body.matchByVerifiedEmail]).toEqual([201, true]);
    const plain = await admin('POST', '', { name: 'third', kind: 'oidc', issuer: 'https://idp.third.example', clientId: 'y' });
    expect(plain.body.matchByVerifiedEmail).toBe(false);
    await admin('DELETE', `/${created.body.id}`);
    await admin('DELETE', `/${plain.body.id}`);
  });
});
