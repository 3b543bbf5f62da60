import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { call } from '../support/test-app.js';
import { enrollNative, insertScimAccount, nativeSignIn, newDeviceKey, PUBLIC_URL, startHarness, type Harness } from './enrollment-harness.js';

/** Issue 13 §8: browser apps of an org may call enrollment, renewal, status and KT reads; nobody else. */
const APP = 'https://chat.example.com';
const DEV_APP = 'http://localhost:3000';
const EVIL = 'https://evil.example';

describe('CORS for the browser apps of an org', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
  });
  afterAll(() => h.close());

  const preflight = (path: string, origin: string, method = 'POST') =>
    fetch(`${h.t.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
    });
  const start = (origin?: string, slug = h.org.slug) =>
    newDeviceKey().then((key) =>
      call(h.t.url, 'POST', `/v1/orgs/${slug}/enrollments`, {
        body: { csr: key.csrPem, deviceName: 'web', platform: 'web', ciphersuite: 1, flow: 'device' },
        headers: origin ? { origin } : {},
      }),
    );
  const sessions = async () =>
    (await h.t.dataSource.query(`SELECT count(*)::int AS n FROM enrollment_session WHERE org_id = $1`, [h.org.id]))[0].n as number;

  it('is closed by default: preflight and actual requests from any origin refused, nothing written', async () => {
    const res = await preflight(`/v1/orgs/${h.org.slug}/enrollments`, APP);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { reason: string }).reason).toBe('origin_not_allowed');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);

    const before = await sessions();
    const actual = await start(APP);
    expect([actual.status, actual.body.reason]).toEqual([403, 'origin_not_allowed']);
    expect(await sessions()).toBe(before);
    // Native apps and servers send no Origin: untouched.
    expect((await start()).status).toBe(201);
  });

  it('takes only exact https (or loopback http) origins in the org setting', async () => {
    for (const bad of [
      ['http://chat.example.com'],
      ['https://chat.example.com/'],
      ['*'],
      ['https://*.example.com'],
      [APP, APP],
      'https://chat.example.com',
    ]) {
      const res = await call(h.t.url, 'PATCH', `/v1/admin/orgs/${h.org.slug}/settings`, {
        token: h.t.adminToken,
        body: { settings: { cors: { allowedOrigins: bad } } },
      });
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_settings']);
      expect(res.body.errors.join(' ')).toContain('cors.allowedOrigins');
    }
    const ok = await call(h.t.url, 'PATCH', `/v1/admin/orgs/${h.org.slug}/settings`, {
      token: h.t.adminToken,
      body: { settings: { cors: { allowedOrigins: [APP, DEV_APP] } } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.settings.cors.allowedOrigins).toEqual([APP, DEV_APP]);
  });

  it('answers preflights of listed origins with the route methods and headers, refuses others', async () => {
    for (const origin of [APP, DEV_APP]) {
      const res = await preflight(`/v1/orgs/${h.org.slug}/enrollments`, origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toBe('POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
    const evil = await preflight(`/v1/orgs/${h.org.slug}/enrollments`, EVIL);
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    // Per org: another org lists nothing.
    const other = await h.t.app.get(OrgsService).create('test', 'globex', 'Globex');
    expect((await preflight(`/v1/orgs/${other.slug}/enrollments`, APP)).status).toBe(403);
    expect((await start(APP, other.slug)).status).toBe(403);
    // KT reads: GET, with the Authorization a log reader sends.
    const kt = await preflight(`/kt/${h.org.slug}/checkpoint`, APP, 'GET');
    expect([kt.status, kt.headers.get('access-control-allow-methods')]).toEqual([204, 'GET']);
    expect((await preflight(`/kt/${other.slug}/checkpoint`, APP, 'GET')).status).toBe(403);
  });

  it('lets a listed origin start, follow and poll an enrollment, and read KT, with Access-Control-Allow-Origin on every answer', async () => {
    const started = await start(APP);
    expect(started.status).toBe(201);
    expect(started.headers.get('access-control-allow-origin')).toBe(APP);
    expect(started.headers.get('vary')).toMatch(/Origin/);
    expect(started.headers.get('access-control-expose-headers')).toMatch(/retry-after/i);
    const { enrollmentId, enrollmentSecret } = started.body;

    // Status and poll name no org: the enrollment's org decides.
    const statusPreflight = await preflight(`/v1/enrollments/${enrollmentId}`, APP, 'GET');
    expect([statusPreflight.status, statusPreflight.headers.get('access-control-allow-origin')]).toEqual([204, APP]);
    expect((await preflight(`/v1/enrollments/${enrollmentId}`, EVIL, 'GET')).status).toBe(403);
    const status = await call(h.t.url, 'GET', `/v1/enrollments/${enrollmentId}`, { token: enrollmentSecret, headers: { origin: APP } });
    expect([status.status, status.body.status, status.headers.get('access-control-allow-origin')]).toEqual([200, 'pending', APP]);
    const poll = await call(h.t.url, 'POST', `/v1/enrollments/${enrollmentId}/poll`, { token: enrollmentSecret, headers: { origin: APP } });
    expect([poll.body.reason, poll.headers.get('access-control-allow-origin')]).toEqual(['authorization_pending', APP]);
    const evilPoll = await call(h.t.url, 'POST', `/v1/enrollments/${enrollmentId}/poll`, { token: enrollmentSecret, headers: { origin: EVIL } });
    expect([evilPoll.status, evilPoll.body.reason]).toEqual([403, 'origin_not_allowed']);

    // A refusal is readable by the app too (the browser would otherwise hide the reason).
    const kt = await call(h.t.url, 'GET', `/kt/${h.org.slug}/checkpoint`, { headers: { origin: APP } });
    expect([kt.status, kt.headers.get('access-control-allow-origin')]).toEqual([401, APP]);
  });

  it("decides renewal by the device's org", async () => {
    const key = await newDeviceKey();
    const enrolled = await enrollNative(h, key, await nativeSignIn(h.idp, 'alice', key.nonce));
    expect(enrolled.status).toBe(201);
    const path = `/v1/devices/${enrolled.body.deviceId}/certificate/renew`;
    const ok = await preflight(path, APP);
    expect([ok.status, ok.headers.get('access-control-allow-origin')]).toEqual([204, APP]);
    expect((await preflight(path, EVIL)).status).toBe(403);
    expect((await preflight('/v1/devices/00000000-0000-4000-8000-000000000000/certificate/renew', APP)).status).toBe(403);
  });

  it('leaves the service pages and same-origin requests alone', async () => {
    // The activation page and callback are opened by a person, never fetched cross-origin.
    const page = await fetch(`${h.t.url}/v1/enrollments/activate`, { headers: { origin: EVIL } });
    expect(page.status).toBe(200);
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    const pagePreflight = await preflight('/v1/enrollments/activate', APP);
    expect(pagePreflight.headers.get('access-control-allow-origin')).toBeNull();
    // The service's own origin is not cross-origin.
    const own = await start(new URL(PUBLIC_URL).origin);
    expect([own.status, own.headers.get('access-control-allow-origin')]).toEqual([201, null]);
  });
});
