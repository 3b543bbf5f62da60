import { call } from '../support/test-app.js';
import { signInHeadless } from '../support/test-idp.js';
import {
  confirmInBrowser,
  insertScimAccount,
  lastRefusal,
  newDeviceKey,
  PUBLIC_URL,
  startHarness,
  type DeviceKey,
  type Harness,
} from './enrollment-harness.js';

function start(h: Harness, key: DeviceKey, flow: 'redirect' | 'device') {
  return call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
    body: { csr: key.csrPem, deviceName: 'laptop', platform: 'linux', ciphersuite: 1, flow },
  });
}

/** The browser follows the IdP's redirect to the service (PUBLIC_URL is a proxy in front of it). */
function followToService(h: Harness, redirectedTo: string, accept = 'application/json') {
  expect(redirectedTo.startsWith(`${PUBLIC_URL}/v1/enrollments/callback?`)).toBe(true);
  return call(h.t.url, 'GET', redirectedTo.slice(PUBLIC_URL.length), { headers: { accept } });
}

/** The person confirms on the service's page: the form as the page posts it. */
function confirmForm(h: Harness, redirectedTo: string, confirmation: string) {
  const response = new URL(redirectedTo).search.slice(1);
  return call(h.t.url, 'POST', '/v1/enrollments/callback', {
    raw: new URLSearchParams({ response, confirmation, decision: 'enroll' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

const statusOf = (h: Harness, id: string, secret: string) => call(h.t.url, 'GET', `/v1/enrollments/${id}`, { token: secret });
const poll = (h: Harness, id: string, secret: string) => call(h.t.url, 'POST', `/v1/enrollments/${id}/poll`, { token: secret });
/** The device waited its interval (the tests do not sleep). */
async function intervalPassed(h: Harness, id: string): Promise<void> {
  await h.t.dataSource.query(`UPDATE enrollment_session SET next_poll_at = now() WHERE id = $1`, [id]);
}

describe.each(['okta', 'entra'] as const)('browser redirect and device flows (%s-like IdP)', (profile) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(profile, {
      users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] }, bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] } },
    });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
    await insertScimAccount(h, { userName: 'bob@acme.example' });
  });
  afterAll(() => h.close());

  describe('browser redirect (service as confidential client)', () => {
    it('returns an authorization URL with state, PKCE S256, max_age and the key-bound nonce; the confirmed callback enrolls', async () => {
      const key = await newDeviceKey();
      const started = await start(h, key, 'redirect');
      expect(started.status).toBe(201);
      const { enrollmentId, enrollmentSecret, authorizationUrl, confirmationCode } = started.body;
      expect(confirmationCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      const url = new URL(authorizationUrl);
      expect(url.href.startsWith(h.idp.issuer)).toBe(true);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('nonce')).toBe(key.nonce);
      expect(url.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/v1/enrollments/callback`);
      expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(url.searchParams.get('max_age')).toBe('600');
      expect(url.searchParams.has('prompt')).toBe(false);
      expect((await statusOf(h, enrollmentId, enrollmentSecret)).body).toEqual({ enrollmentId, status: 'pending', flow: 'redirect' });

      const { redirectedTo } = await signInHeadless(authorizationUrl, { login: 'alice' });
      // The callback is a page asking for the device's code; nothing is exchanged or enrolled yet.
      const page = await followToService(h, redirectedTo!, 'text/html');
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(page.text).toContain('name="confirmation"');
      expect((await statusOf(h, enrollmentId, enrollmentSecret)).body.status).toBe('pending');
      const done = await confirmForm(h, redirectedTo!, confirmationCode.toLowerCase().replace('-', ' '));
      expect(done.status).toBe(200);
      expect(done.text).toContain('data-status="completed"');

      const result = await statusOf(h, enrollmentId, enrollmentSecret);
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ status: 'completed', flow: 'redirect', chainDer: [expect.any(String), expect.any(String)] });
      const [device] = await h.t.dataSource.query(`SELECT name, platform, status FROM device WHERE id = $1`, [result.body.deviceId]);
      expect(device).toEqual({ name: 'laptop', platform: 'linux', status: 'active' });

      // The result is the secret holder's only; a replayed callback changes nothing.
      expect((await statusOf(h, enrollmentId, 'mlsid_enr_wrong')).body.reason).toBe('enrollment_secret_invalid');
      expect((await statusOf(h, enrollmentId, '')).status).toBe(401);
      const again = await confirmForm(h, redirectedTo!, confirmationCode);
      expect([again.status, again.body.reason]).toEqual([409, 'enrollment_not_pending']);
      expect((await followToService(h, redirectedTo!)).body.reason).toBe('enrollment_not_pending');
    });

    it('survives a restart of the service between start and callback', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'redirect')).body;
      await h.restart();
      const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'bob' });
      await h.restart();
      expect((await confirmForm(h, redirectedTo!, started.confirmationCode)).status).toBe(200);
      expect((await statusOf(h, started.enrollmentId, started.enrollmentSecret)).body.status).toBe('completed');
    });

    it('surfaces access_denied when the user cancels, and refuses an unknown state', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'redirect')).body;
      const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'alice', deny: true });
      const denied = await followToService(h, redirectedTo!);
      expect([denied.status, denied.body.reason]).toEqual([403, 'access_denied']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'access_denied', flow: 'redirect' });
      expect((await statusOf(h, started.enrollmentId, started.enrollmentSecret)).body.reason).toBe('access_denied');
      const forged = await call(h.t.url, 'GET', '/v1/enrollments/callback?code=abc&state=not-ours');
      expect([forged.status, forged.body.reason]).toEqual([400, 'state_invalid']);
    });

    it('answers 502 idp_error when the IdP redirects back with an error of its own, and the enrollment stays failed', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'redirect')).body;
      const state = new URL(started.authorizationUrl).searchParams.get('state')!;
      const failed = await call(
        h.t.url,
        'GET',
        `/v1/enrollments/callback?${new URLSearchParams({ error: 'server_error', error_description: 'try later', state })}`,
      );
      expect([failed.status, failed.body.reason]).toEqual([502, 'idp_error']);
      expect(failed.headers.get('content-type')).toContain('application/problem+json');
      const status = await statusOf(h, started.enrollmentId, started.enrollmentSecret);
      expect([status.status, status.body.reason]).toEqual([502, 'idp_error']);
      // A sign-in arriving after the failure does not revive it.
      const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'alice' });
      const late = await followToService(h, redirectedTo!);
      expect([late.status, late.body.reason]).toEqual([409, 'enrollment_not_pending']);
      const lateConfirm = await confirmForm(h, redirectedTo!, started.confirmationCode);
      expect([lateConfirm.status, lateConfirm.body.reason]).toEqual([409, 'enrollment_not_pending']);
      const [session] = await h.t.dataSource.query(`SELECT status, failure_reason FROM enrollment_session WHERE id = $1`, [started.enrollmentId]);
      expect(session).toEqual({ status: 'failed', failure_reason: 'idp_error' });
    });
  });

  describe('device flow (RFC 8628 user experience, confirmed on the service)', () => {
    it('points at the service activation page, reports authorization_pending and slow_down, then enrolls once the person confirmed', async () => {
      const key = await newDeviceKey();
      const started = await start(h, key, 'device');
      expect(started.status).toBe(201);
      const { enrollmentId, enrollmentSecret, verificationUri, verificationUriComplete, userCode, confirmationCode, interval } = started.body;
      expect(verificationUri).toBe(`${PUBLIC_URL}/v1/enrollments/activate`);
      // No URI with the code in it: that is the link a phisher would forward.
      expect(verificationUriComplete).toBeUndefined();
      expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      expect(confirmationCode).toBe(userCode);
      expect(interval).toBe(5);
      // Starting asks nothing of the IdP.
      expect(h.idp.requests.get('/device/auth')).toBeUndefined();

      const pending = await poll(h, enrollmentId, enrollmentSecret);
      expect([pending.status, pending.body.reason, pending.body.interval]).toEqual([400, 'authorization_pending', interval]);
      // Polling again at once: slow_down, and the interval grows by 5 s (RFC 8628 §3.5).
      const tooFast = await poll(h, enrollmentId, enrollmentSecret);
      expect([tooFast.status, tooFast.body.reason, tooFast.body.interval]).toEqual([400, 'slow_down', interval + 5]);

      const confirmed = await confirmInBrowser(h, verificationUri, 'alice', userCode);
      expect(confirmed.status).toBe(200);
      await intervalPassed(h, enrollmentId);
      const done = await poll(h, enrollmentId, enrollmentSecret);
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ status: 'completed', flow: 'device', credential: expect.any(String) });
      const [device] = await h.t.dataSource.query(`SELECT status FROM device WHERE id = $1`, [done.body.deviceId]);
      expect(device.status).toBe('active');
      // Later polls return the same result.
      expect((await poll(h, enrollmentId, enrollmentSecret)).body.deviceId).toBe(done.body.deviceId);
    });

    it('surfaces access_denied when the user declines the code', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'device')).body;
      const declined = await confirmInBrowser(h, started.verificationUri, 'alice', started.userCode, { deny: true });
      expect([declined.status, declined.page]).toEqual([403, expect.stringContaining('data-reason="access_denied"')]);
      await intervalPassed(h, started.enrollmentId);
      const denied = await poll(h, started.enrollmentId, started.enrollmentSecret);
      expect([denied.status, denied.body.reason]).toEqual([403, 'access_denied']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'access_denied', flow: 'device' });
    });

    it('surfaces expired_token once the device code has expired', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'device')).body;
      await h.t.dataSource.query(`UPDATE enrollment_session SET expires_at = now() - interval '1 second' WHERE id = $1`, [started.enrollmentId]);
      const expired = await poll(h, started.enrollmentId, started.enrollmentSecret);
      expect([expired.status, expired.body.reason]).toEqual([400, 'expired_token']);
      expect((await poll(h, started.enrollmentId, started.enrollmentSecret)).body.reason).toBe('expired_token');
    });

    it('refuses polls without the enrollment secret', async () => {
      const key = await newDeviceKey();
      const started = (await start(h, key, 'device')).body;
      const res = await call(h.t.url, 'POST', `/v1/enrollments/${started.enrollmentId}/poll`);
      expect([res.status, res.body.reason]).toEqual([401, 'enrollment_secret_invalid']);
    });
  });
});
