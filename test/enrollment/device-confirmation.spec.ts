import { call } from '../support/test-app.js';
import { signInHeadless } from '../support/test-idp.js';
import {
  APP_CLIENT,
  confirmInBrowser,
  enrollNative,
  insertScimAccount,
  lastRefusal,
  newDeviceKey,
  PUBLIC_URL,
  setEnrollmentPolicy,
  startHarness,
  type DeviceKey,
  type Harness,
} from './enrollment-harness.js';

/**
 * Issue 13 §1: a redirect or device enrollment completes only when the signed-in person
 * confirms *this* device on the service's page (its name, platform and requesting address
 * shown, its code typed) before the code exchange; fresh sign-in per org policy; flows the
 * org allows; no double completion and no double poll under races.
 */
describe('enrollment bound to its initiator (issue 13 §1)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { users: { alice: { email: 'alice@acme.example' }, bob: { email: 'bob@acme.example' } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
    await insertScimAccount(h, { userName: 'bob@acme.example' });
  });
  afterEach(() => setEnrollmentPolicy(h, {}));
  afterAll(() => h.close());

  /** The attacker starts an enrollment with its own key, from its own address. */
  async function attackerStarts(flow: 'redirect' | 'device', key?: DeviceKey, deviceName = 'laptop') {
    const res = await call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
      body: { csr: (key ?? (await newDeviceKey())).csrPem, deviceName, platform: 'linux', ciphersuite: 1, flow },
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.status).toBe(201);
    return res.body;
  }
  const devicesOf = async (login: string) =>
    (
      await h.t.dataSource.query(`SELECT count(*)::int AS n FROM device d JOIN account a ON a.id = d.account_id WHERE a.user_name = $1`, [
        `${login}@acme.example`,
      ])
    )[0].n as number;
  const sessionOf = async (id: string) =>
    (await h.t.dataSource.query(`SELECT status, failure_reason, confirmation_attempts FROM enrollment_session WHERE id = $1`, [id]))[0];
  const postForm = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    call(h.t.url, 'POST', path, {
      raw: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });

  it('a forwarded authorization URL enrolls nothing: the victim signs in but cannot confirm without the device code', async () => {
    const started = await attackerStarts('redirect', undefined, `Mallory's <b>laptop</b>`);
    const before = await devicesOf('alice');
    const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'alice' });

    // The page names the device (escaped), its platform and the address that asked, and has no script.
    const page = await call(h.t.url, 'GET', redirectedTo!.slice(PUBLIC_URL.length), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Mallory&#39;s &lt;b&gt;laptop&lt;/b&gt;');
    expect(page.text).toContain('<dd>linux</dd>');
    expect(page.text).toContain('203.0.113.7');
    expect(page.text).not.toContain('<script');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await sessionOf(started.enrollmentId)).toMatchObject({ status: 'pending' });

    const response = new URL(redirectedTo!).search.slice(1);
    const wrong = await postForm('/v1/enrollments/callback', { response, confirmation: 'BBBB-BBBB' });
    expect([wrong.status, wrong.body.reason, wrong.body.attemptsLeft]).toEqual([403, 'confirmation_code_invalid', 4]);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'confirmation_code_invalid', flow: 'redirect' });
    const noCode = await postForm('/v1/enrollments/callback', { response });
    expect([noCode.status, noCode.body.reason]).toEqual([403, 'confirmation_code_invalid']);
    // A browser gets the refusal as a page with the same status and reason.
    const inBrowser = await postForm('/v1/enrollments/callback', { response, confirmation: 'CCCC-CCCC' }, { accept: 'text/html' });
    expect([inBrowser.status, inBrowser.text]).toEqual([403, expect.stringContaining('data-reason="confirmation_code_invalid"')]);
    await postForm('/v1/enrollments/callback', { response, confirmation: 'DDDD-DDDD' });
    const last = await postForm('/v1/enrollments/callback', { response, confirmation: 'FFFF-FFFF' });
    expect([last.status, last.body.reason]).toEqual([403, 'confirmation_attempts_exhausted']);
    expect(await sessionOf(started.enrollmentId)).toEqual({
      status: 'failed',
      failure_reason: 'confirmation_attempts_exhausted',
      confirmation_attempts: 5,
    });

    // Even the right code now changes nothing, and the attacker holds no certificate.
    const late = await postForm('/v1/enrollments/callback', { response, confirmation: started.confirmationCode });
    expect([late.status, late.body.reason]).toEqual([409, 'enrollment_not_pending']);
    const attacker = await call(h.t.url, 'GET', `/v1/enrollments/${started.enrollmentId}`, { token: started.enrollmentSecret });
    expect([attacker.status, attacker.body.reason]).toEqual([403, 'confirmation_attempts_exhausted']);
    expect(await devicesOf('alice')).toBe(before);
  });

  it('a device flow sign-in link forwarded from the browser that typed the code still needs the code in the victim browser', async () => {
    const started = await attackerStarts('device');
    // The attacker types its own code on the activation page and copies the sign-in link.
    const activated = await postForm('/v1/enrollments/activate', { code: started.userCode }, { accept: 'text/html' });
    expect(activated.status).toBe(200);
    expect(activated.headers.get('set-cookie')).toMatch(/^mlsid_enrollment=[^;]+; .*HttpOnly; SameSite=Lax/);
    expect(activated.text).toContain('203.0.113.7');
    const signInLink = /id="sign-in" href="([^"]*)"/.exec(activated.text)![1]!.replace(/&amp;/g, '&');
    const before = await devicesOf('alice');
    // The victim signs in from the forwarded link, in a browser without the activation cookie.
    const outcome = await confirmInBrowser(h, signInLink, 'alice', 'BBBB-BBBB');
    expect([outcome.status, outcome.page]).toEqual([403, expect.stringContaining('data-reason="confirmation_code_invalid"')]);
    expect(await sessionOf(started.enrollmentId)).toMatchObject({ status: 'pending', confirmation_attempts: 1 });
    expect(await devicesOf('alice')).toBe(before);
  });

  it('the activation page refuses a code no pending device enrollment has, and a redirect enrollment code', async () => {
    const page = await call(h.t.url, 'GET', '/v1/enrollments/activate', { headers: { accept: 'text/html' } });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining('name="code"')]);
    const unknown = await postForm('/v1/enrollments/activate', { code: 'BCDF-GHJK' });
    expect([unknown.status, unknown.body.reason]).toEqual([403, 'confirmation_code_invalid']);
    const redirect = await attackerStarts('redirect');
    const notDevice = await postForm('/v1/enrollments/activate', { code: redirect.confirmationCode });
    expect([notDevice.status, notDevice.body.reason]).toEqual([403, 'confirmation_code_invalid']);
  });

  it('two confirmations racing for one session: the row lock lets one enroll, the other sees it done', async () => {
    const started = await attackerStarts('redirect');
    const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'bob' });
    const before = await devicesOf('bob');
    const response = new URL(redirectedTo!).search.slice(1);
    const answers = await Promise.all([1, 2].map(() => postForm('/v1/enrollments/callback', { response, confirmation: started.confirmationCode })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.reason).toBe('enrollment_not_pending');
    expect(await devicesOf('bob')).toBe(before + 1);
  });

  it('two polls racing for one interval: exactly one is let through, the other is told slow_down', async () => {
    const started = await attackerStarts('device');
    const poll = () => call(h.t.url, 'POST', `/v1/enrollments/${started.enrollmentId}/poll`, { token: started.enrollmentSecret });
    const answers = await Promise.all([poll(), poll(), poll()]);
    expect(answers.map((a) => a.body.reason).sort()).toEqual(['authorization_pending', 'slow_down', 'slow_down']);
  });

  it('an org may refuse flows: starts are refused, and so is the callback of a flow disallowed since', async () => {
    const started = await attackerStarts('redirect');
    await setEnrollmentPolicy(h, { allowedFlows: ['native'] });
    for (const flow of ['redirect', 'device']) {
      const res = await call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
        body: { csr: (await newDeviceKey()).csrPem, deviceName: 'x', platform: 'linux', ciphersuite: 1, flow },
      });
      expect([res.status, res.body.reason]).toEqual([403, 'flow_not_allowed']);
      expect(await lastRefusal(h)).toMatchObject({ reason: 'flow_not_allowed', flow });
    }
    const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'alice' });
    const callback = await call(h.t.url, 'GET', redirectedTo!.slice(PUBLIC_URL.length));
    expect([callback.status, callback.body.reason]).toEqual([403, 'flow_not_allowed']);
    await setEnrollmentPolicy(h, { allowedFlows: ['redirect'] });
    const key = await newDeviceKey();
    const native = await enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce)));
    expect([native.status, native.body.reason]).toEqual([403, 'flow_not_allowed']);
  });

  it('fresh sign-in per policy: prompt=login and max_age are sent, and the flow still completes', async () => {
    await setEnrollmentPolicy(h, { promptLogin: true, maxSignInAgeS: 120 });
    const started = await attackerStarts('redirect');
    const url = new URL(started.authorizationUrl);
    expect([url.searchParams.get('prompt'), url.searchParams.get('max_age')]).toEqual(['login', '120']);
    const outcome = await confirmInBrowser(h, started.authorizationUrl, 'bob', started.confirmationCode);
    expect(outcome.status).toBe(200);
    const [{ status }] = await h.t.dataSource.query(`SELECT status FROM enrollment_session WHERE id = $1`, [started.enrollmentId]);
    expect(status).toBe('completed');
  });

  it('an old SSO sign-in does not enroll: a native token whose auth_time is older than the policy is refused', async () => {
    const key = await newDeviceKey();
    const now = Math.floor(Date.now() / 1000);
    const old = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce, { auth_time: now - 3600 }));
    const res = await enrollNative(h, key, old);
    expect([res.status, res.body.reason]).toEqual([403, 'sign_in_too_old']);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'sign_in_too_old', flow: 'native' });
    const fresh = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce, { auth_time: now - 30 }));
    expect((await enrollNative(h, key, fresh)).status).toBe(201);
  });
});
