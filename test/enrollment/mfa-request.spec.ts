import {
  APP_CLIENT,
  confirmInBrowser,
  enrollNative,
  insertScimAccount,
  lastRefusal,
  newDeviceKey,
  startHarness,
  type Harness,
} from './enrollment-harness.js';
import { call } from '../support/test-app.js';

/**
 * Issue 13 §5: a connection that requires MFA asks the IdP for it (Okta: acr_values) rather
 * than refusing after a one-factor sign-in, and an MFA claim counts only with a recent
 * auth_time (an SSO session from last week is not a second factor today).
 */
describe.each(['okta', 'entra'] as const)('MFA requested and fresh (%s-like IdP)', (profile) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(profile, {
      orgSlug: `mfa-${profile}`,
      users: { pwdonly: { email: 'pwdonly@acme.example', amr: ['pwd'] }, strong: { email: 'strong@acme.example', amr: ['pwd', 'mfa'] } },
      connection: { requireMfa: true },
    });
    await insertScimAccount(h, { userName: 'pwdonly@acme.example' });
    await insertScimAccount(h, { userName: 'strong@acme.example' });
  });
  afterAll(() => h.close());

  const startRedirect = async () => {
    const res = await call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
      body: { csr: (await newDeviceKey()).csrPem, deviceName: 'laptop', platform: 'linux', ciphersuite: 1, flow: 'redirect' },
    });
    expect(res.status).toBe(201);
    return res.body;
  };

  if (profile === 'okta') {
    it('asks Okta for two factors (acr_values), so a password-only user is stepped up and enrolls', async () => {
      const started = await startRedirect();
      expect(new URL(started.authorizationUrl).searchParams.get('acr_values')).toBe('urn:okta:loa:2fa:any');
      const outcome = await confirmInBrowser(h, started.authorizationUrl, 'pwdonly', started.confirmationCode);
      expect(outcome.status).toBe(200);
    });
  } else {
    it('Entra has no acr_values for MFA: nothing is sent, and a one-factor sign-in is refused after it', async () => {
      const started = await startRedirect();
      expect(new URL(started.authorizationUrl).searchParams.has('acr_values')).toBe(false);
      const outcome = await confirmInBrowser(h, started.authorizationUrl, 'pwdonly', started.confirmationCode);
      expect([outcome.status, outcome.page]).toEqual([403, expect.stringContaining('data-reason="mfa_required"')]);
    });
  }

  it('a native token claiming MFA counts only with a recent auth_time', async () => {
    const now = Math.floor(Date.now() / 1000);
    const attempt = async (claims: Record<string, unknown>) => {
      const key = await newDeviceKey();
      return enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims('strong', APP_CLIENT, key.nonce, claims)));
    };
    const missing = await attempt({ auth_time: undefined });
    expect([missing.status, missing.body.reason]).toEqual([401, 'id_token_claim_missing']);
    const stale = await attempt({ auth_time: now - 7 * 24 * 3600 });
    expect([stale.status, stale.body.reason]).toEqual([403, 'sign_in_too_old']);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'sign_in_too_old' });
    expect((await attempt({ auth_time: now - 20 })).status).toBe(201);
  });
});
