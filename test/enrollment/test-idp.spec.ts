import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { signInHeadless, startTestIdp, type TestIdp } from '../support/test-idp.js';

// The test IdP is itself test support: these prove it behaves like the IdPs it stands for,
// so the enrollment tests built on it mean something.
describe.each(['okta', 'entra'] as const)('test IdP (%s-like)', (profile) => {
  let idp: TestIdp;
  const redirectUri = 'http://127.0.0.1:9/callback';

  beforeAll(async () => {
    idp = await startTestIdp({
      profile,
      clients: [
        { clientId: 'svc', clientSecret: 'svc-secret-0123456789', redirectUris: [redirectUri] },
        { clientId: 'app', redirectUris: [redirectUri] },
      ],
      users: { alice: { email: 'Alice@Acme.example', amr: ['pwd', 'mfa'], groups: ['g1'] } },
    });
  });
  afterAll(() => idp.close());

  async function config(clientId: string, secret?: string) {
    return oidc.discovery(new URL(idp.issuer), clientId, secret, undefined, { execute: [oidc.allowInsecureRequests] });
  }

  it('signs a user in headlessly through the code flow with PKCE and reports amr', async () => {
    const c = await config('svc', 'svc-secret-0123456789');
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(c, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
      nonce: 'nonce-1',
    });
    const { redirectedTo } = await signInHeadless(url.href, { login: 'alice' });
    expect(redirectedTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await oidc.authorizationCodeGrant(c, new URL(redirectedTo!), {
      pkceCodeVerifier: verifier,
      expectedState: 'st',
      expectedNonce: 'nonce-1',
    });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims).toMatchObject({ iss: idp.issuer, aud: 'svc', nonce: 'nonce-1', amr: ['pwd', 'mfa'], email: 'Alice@Acme.example' });
    if (profile === 'entra') {
      expect(claims).toMatchObject({ tid: idp.tenantId, ver: '2.0' });
      expect(typeof claims.oid).toBe('string');
      expect(claims.sub).not.toBe(claims.oid);
      expect(idp.issuer).toMatch(new RegExp(`/${idp.tenantId}/v2.0$`));
    } else {
      expect(claims.sub).toMatch(/^00u/);
    }
  });

  it('runs the device authorization grant (RFC 8628)', async () => {
    const c = await config('svc', 'svc-secret-0123456789');
    const da = await oidc.initiateDeviceAuthorization(c, { scope: 'openid email profile' });
    await expect(oidc.genericGrantRequest(c, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: da.device_code })).rejects.toMatchObject({
      error: 'authorization_pending',
    });
    const page = await signInHeadless(da.verification_uri_complete!, { login: 'alice' });
    expect(page.redirectedTo).toBeNull();
    // Polling again at once is answered with slow_down (RFC 8628 §3.5), as Okta and Entra do.
    await expect(oidc.genericGrantRequest(c, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: da.device_code })).rejects.toMatchObject({
      error: 'slow_down',
    });
    idp.forgetDevicePolls();
    const tokens = await oidc.genericGrantRequest(c, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: da.device_code });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims).toMatchObject({ iss: idp.issuer, aud: 'svc', amr: ['pwd', 'mfa'] });
  });

  it('answers access_denied when the user cancels the device code', async () => {
    const c = await config('svc', 'svc-secret-0123456789');
    const da = await oidc.initiateDeviceAuthorization(c, { scope: 'openid' });
    await signInHeadless(da.verification_uri_complete!, { login: 'alice', deny: true });
    idp.forgetDevicePolls();
    await expect(oidc.genericGrantRequest(c, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: da.device_code })).rejects.toMatchObject({
      error: 'access_denied',
    });
  });
});
