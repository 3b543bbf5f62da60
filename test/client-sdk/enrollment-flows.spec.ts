import { decodeX509Credential } from '#mls';
import { identityOf } from '#x509-profile';
import { generateDeviceKeys, mlsCredentialOf, EnrollmentFailed, type UserCodePrompt } from '#client-sdk';
import { call } from '../support/test-app.js';
import { signInHeadless } from '../support/test-idp.js';
import { confirmInBrowser, PUBLIC_URL, startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { enrollWithToken, hurriedClock, provision, sdkClient, USERS } from './sdk-harness.js';

describe('SDK enrollment against the service and an OIDC IdP', () => {
  let h: Harness;
  let accounts: Record<keyof typeof USERS, string>;

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    accounts = await provision(h);
  });
  afterAll(() => h.close());

  it('token flow: the chain, the RFC 9420 credential ready for ts-mls, renewal hint', async () => {
    const device = await enrollWithToken(h, sdkClient(h), 'alice');
    expect(device.accountId).toBe(accounts.alice);
    expect(device.certificate.chainDer).toHaveLength(2);
    expect(decodeX509Credential(device.certificate.credential).map((c) => Buffer.from(c))).toEqual(
      device.certificate.chainDer.map((c) => Buffer.from(c)),
    );
    expect(identityOf(device.certificate.chainDer)).toMatchObject({
      kind: 'device',
      org: 'acme',
      accountId: accounts.alice,
      deviceId: device.deviceId,
    });
    expect(device.certificate.renewAfter.getTime()).toBeLessThan(device.certificate.notAfter.getTime());
    expect(mlsCredentialOf(device)).toEqual({ credentialType: 'x509', certificates: device.certificate.chainDer });
  });

  it('P-256 (cipher suite 2) keys enroll too', async () => {
    const device = await enrollWithToken(h, sdkClient(h), 'bob', 2);
    expect(device.keys.ciphersuite).toBe(2);
  });

  it('redirect flow: the URL to open and the code to show, then the result once the person confirmed', async () => {
    const client = sdkClient(h, { clock: hurriedClock() });
    const started = await client.beginRedirectEnrollment({ keys: await generateDeviceKeys(1), deviceName: 'browser', platform: 'web' });
    expect(new URL(started.authorizationUrl).origin).toBe(new URL(h.idp.issuer).origin);
    expect(started.confirmationCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    const result = started.result({ pollIntervalMs: 50 });
    const { redirectedTo } = await signInHeadless(started.authorizationUrl, { login: 'carol' });
    expect(redirectedTo!.startsWith(`${PUBLIC_URL}/v1/enrollments/callback?`)).toBe(true);
    const page = await call(h.t.url, 'GET', redirectedTo!.slice(PUBLIC_URL.length), { headers: { accept: 'text/html' } });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining('name="confirmation"')]);
    const confirmed = await call(h.t.url, 'POST', '/v1/enrollments/callback', {
      raw: new URLSearchParams({ response: new URL(redirectedTo!).search.slice(1), confirmation: started.confirmationCode }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(confirmed.status).toBe(200);
    const device = await result;
    expect(device.accountId).toBe(accounts.carol);
  });

  it('device flow: shows the user code, polls honouring the interval, returns the device', async () => {
    let enrollmentId: string | undefined;
    // the test does not sleep through intervals: it tells the service they passed
    const clock = hurriedClock(async () => {
      await h.t.dataSource.query(`UPDATE enrollment_session SET next_poll_at = now() WHERE flow = 'device'`);
    });
    const prompts: UserCodePrompt[] = [];
    const device = await sdkClient(h, { clock }).enroll({
      flow: 'device',
      keys: await generateDeviceKeys(1),
      deviceName: 'server',
      platform: 'linux',
      async onUserCode(prompt) {
        prompts.push(prompt);
        [{ id: enrollmentId }] = await h.t.dataSource.query(
          `SELECT id FROM enrollment_session WHERE confirmation_code_hash = sha256(convert_to(replace($1, '-', ''), 'UTF8'))`,
          [prompt.userCode],
        );
        // the user types the code on another device a little later, signs in and confirms
        setTimeout(() => void confirmInBrowser(h, prompt.verificationUri, 'alice', prompt.userCode), 100);
      },
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.verificationUri).toBe(`${PUBLIC_URL}/v1/enrollments/activate`);
    expect(enrollmentId).toBeDefined();
    expect(device.accountId).toBe(accounts.alice);
    const [{ interval }] = await h.t.dataSource.query(`SELECT poll_interval_s AS interval FROM enrollment_session WHERE id = $1`, [enrollmentId]);
    expect(clock.delays.length).toBeGreaterThan(0);
    for (const d of clock.delays) expect(d).toBeGreaterThanOrEqual(5000);
    expect(clock.delays[0]).toBe(Math.min(...clock.delays));
    expect(clock.delays.at(-1)).toBeLessThanOrEqual(interval * 1000);
  });

  it('device flow refused by the user: EnrollmentFailed(access_denied)', async () => {
    const clock = hurriedClock(async () => {
      await h.t.dataSource.query(`UPDATE enrollment_session SET next_poll_at = now() WHERE flow = 'device'`);
    });
    const attempt = sdkClient(h, { clock }).enroll({
      flow: 'device',
      keys: await generateDeviceKeys(1),
      deviceName: 'server',
      platform: 'linux',
      onUserCode: (prompt) => void confirmInBrowser(h, prompt.verificationUri, 'bob', prompt.userCode, { deny: true }),
    });
    await expect(attempt).rejects.toMatchObject({ constructor: EnrollmentFailed, reason: 'access_denied' });
  });

  it('a token for another key is refused with the service reason', async () => {
    const keys = await generateDeviceKeys(1);
    const other = await generateDeviceKeys(1);
    const { keyBoundNonce } = await import('#client-sdk');
    const { nativeSignIn } = await import('../enrollment/enrollment-harness.js');
    const idToken = await nativeSignIn(h.idp, 'alice', await keyBoundNonce(other));
    await expect(sdkClient(h).enroll({ flow: 'token', keys, idToken, deviceName: 'x', platform: 'linux' })).rejects.toMatchObject({
      code: 'ERR_ENROLLMENT_FAILED',
      reason: 'id_token_nonce_mismatch',
    });
  });
});
