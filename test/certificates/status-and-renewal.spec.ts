import { resolveReceipt } from '../support/transparency-receipt.js';
import { createHash } from 'node:crypto';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { csrPem, deviceAuthorization, deviceKeys, enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { listenerReconnected, terminateListener } from '../support/pg-listener.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const b64 = (chain: Uint8Array[]) => chain.map((d) => Buffer.from(d).toString('base64'));

describe('certificate status API', () => {
  let t: TestApp;
  let orgId: string;
  let accountId: string;
  let ds: string;
  let otherDs: string;

  beforeAll(async () => {
    t = await createTestApp();
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    const otherOrg = (await t.app.get(OrgsService).create('test', 'globex', 'Globex')).id;
    void otherOrg;
    accountId = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
    ds = (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token;
    otherDs = (await call(t.url, 'POST', '/v1/admin/orgs/globex/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  const status = (token: string, body: unknown) => call(t.url, 'POST', '/v1/certificates/status', { token, body });

  it('answers valid with the identity, then revoked at once after a revocation (cache invalidated)', async () => {
    const { deviceId, chain } = await enrolledDevice(t.app, orgId, accountId);
    const first = await status(ds, { chains: [b64(chain.chainDer)], fingerprints: [chain.sha256] });
    expect(first.status).toBe(200);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.results[0]).toMatchObject({
      status: 'valid',
      fingerprint: chain.sha256,
      identity: { kind: 'device', org: 'acme', accountId, deviceId, email: 'alice@acme.example' },
    });
    expect(first.body.results[1].status).toBe('valid');
    await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${deviceId}/revoke`, { token: t.adminToken, body: { reason: 'keyCompromise' } });
    const after = await status(ds, { fingerprints: [chain.sha256] });
    expect(after.body.results[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(after.body.results[0].revokedAt).toBeDefined();
  });

  it('still answers revoked at once after the status listener lost its connection (pg_terminate_backend)', async () => {
    const a = await enrolledDevice(t.app, orgId, accountId);
    const b = await enrolledDevice(t.app, orgId, accountId);
    // both answers cached as valid
    const cached = await status(ds, { fingerprints: [a.chain.sha256, b.chain.sha256] });
    expect(cached.body.results.map((r: { status: string }) => r.status)).toEqual(['valid', 'valid']);

    const killed = await terminateListener(t.dataSource, 'mlsid_certificate_status');
    // revoked right away, most likely while the listener is away: its NOTIFY is lost, so the
    // cache must be dropped when the listener is back
    await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${a.deviceId}/revoke`, { token: t.adminToken, body: { reason: 'keyCompromise' } });
    await listenerReconnected(t.dataSource, 'mlsid_certificate_status', killed);
    expect((await status(ds, { fingerprints: [a.chain.sha256] })).body.results[0]).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    // and a revocation after the reconnect is notified again
    await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${b.deviceId}/revoke`, { token: t.adminToken, body: { reason: 'superseded' } });
    expect((await status(ds, { fingerprints: [b.chain.sha256] })).body.results[0]).toMatchObject({ status: 'revoked', reason: 'superseded' });
  });

  it('is not ready while a listener is disconnected, and ready again once it reconnects (readiness, gauge)', async () => {
    const gauge = (text: string) => /^pg_listener_connected\{channel="mlsid_certificate_status"\} (\d)/m.exec(text)?.[1];
    const ready = () => call(t.url, 'GET', '/health/ready');
    const metrics = async () => (await fetch(`${t.metricsUrl}/metrics`)).text();
    expect((await ready()).status).toBe(200);
    expect(gauge(await metrics())).toBe('1');

    const killed = await terminateListener(t.dataSource, 'mlsid_certificate_status');
    // the reconnect backs off for a few hundred ms: catch the window, and the gauge read inside it
    const down = await until(
      async () => {
        const before = await ready();
        const text = await metrics();
        const after = await ready();
        return before.status === 503 && after.status === 503 && { body: after.body, text };
      },
      3000,
      'readiness to report the lost listener',
    );
    expect(down.body).toMatchObject({ status: 503, reason: 'listener_disconnected' });
    expect(gauge(down.text)).toBe('0');

    await listenerReconnected(t.dataSource, 'mlsid_certificate_status', killed);
    await until(async () => (await ready()).status === 200, 3000, 'readiness after the reconnect');
    expect((await ready()).body).toEqual({ status: 'ok', database: 'ok' });
    expect(gauge(await metrics())).toBe('1');
  });

  it("tells another org's chain (untrusted) from unknown fingerprints, and never answers across orgs", async () => {
    const globexAccount = await insertAccount(t.dataSource, (await t.app.get(OrgsService).requireBySlug('globex')).id, 'bob@globex.example');
    const globex = await enrolledDevice(t.app, (await t.app.get(OrgsService).requireBySlug('globex')).id, globexAccount);
    const res = await status(ds, { chains: [b64(globex.chain.chainDer)], fingerprints: [globex.chain.sha256, 'ab'.repeat(32)] });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['untrusted', 'unknown', 'unknown']);
    expect(res.body.results[0].reason).toBe('untrusted_issuer');
    // Globex's own DS sees it as valid.
    const own = await status(otherDs, { fingerprints: [globex.chain.sha256] });
    expect(own.body.results[0].status).toBe('valid');
  });

  it('refuses bad input with 400 and a reason, never 500', async () => {
    for (const body of [
      {},
      { chains: [['!!!not base64!!!']] },
      { chains: [[]] },
      { chains: 'x' },
      { fingerprints: ['xyz'] },
      { fingerprints: Array.from({ length: 1001 }, () => 'ab'.repeat(32)) },
    ]) {
      const res = await status(ds, body);
      expect([JSON.stringify(body).slice(0, 40), res.status]).toEqual([JSON.stringify(body).slice(0, 40), 400]);
    }
    const garbage = await status(ds, { chains: [[Buffer.from('0\x03\x02\x01\x00').toString('base64')]] });
    expect(garbage.status).toBe(200);
    expect(garbage.body.results[0]).toMatchObject({ status: 'untrusted', reason: 'malformed' });
    expect((await call(t.url, 'POST', '/v1/certificates/status', { body: { fingerprints: [] } })).status).toBe(401);
  });

  it('refuses more than 1,000 queries in one request even when each list is within its own limit', async () => {
    const { chain } = await enrolledDevice(t.app, orgId, accountId);
    const fingerprints = Array.from({ length: 1000 }, () => chain.sha256);
    // The control: exactly 1,000 queries are answered.
    expect((await status(ds, { fingerprints })).status).toBe(200);
    const res = await status(ds, { chains: [b64(chain.chainDer)], fingerprints });
    expect([res.status, res.body.reason]).toEqual([400, 'too_many']);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('checks 1,000 chains in one request', async () => {
    const { chain } = await enrolledDevice(t.app, orgId, accountId);
    const res = await status(ds, { chains: Array.from({ length: 1000 }, () => b64(chain.chainDer)) });
    expect(res.status).toBe(200);
    expect(res.body.results.every((r: { status: string }) => r.status === 'valid')).toBe(true);
  });

  it('accepts a device-signed status request from an enrolled device', async () => {
    const { device, chain } = await enrolledDevice(t.app, orgId, accountId);
    const body = JSON.stringify({ fingerprints: [chain.sha256] });
    const authorization = await deviceAuthorization(device, chain.chainDer, { method: 'POST', path: '/v1/certificates/status', body });
    const res = await call(t.url, 'POST', '/v1/certificates/status', { raw: body, headers: { authorization, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.body.results[0].status).toBe('valid');
  });
});

describe('renewal signed by the current certificate', () => {
  let t: TestApp;
  let orgId: string;
  let accountId: string;

  beforeAll(async () => {
    t = await createTestApp();
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    accountId = await insertAccount(t.dataSource, orgId, 'carol@acme.example');
  });
  afterAll(async () => {
    await t.close();
  });

  async function renew(
    signer: Awaited<ReturnType<typeof enrolledDevice>>,
    deviceId: string,
    csr: string,
    options: { jti?: string; iat?: number; path?: string; signAs?: Awaited<ReturnType<typeof deviceKeys>> } = {},
  ) {
    const path = `/v1/devices/${deviceId}/certificate/renew`;
    const body = JSON.stringify({ csr });
    const authorization = await deviceAuthorization(options.signAs ?? signer.device, signer.chain.chainDer, {
      method: 'POST',
      path: options.path ?? path,
      body,
      jti: options.jti,
      iat: options.iat,
    });
    return call(t.url, 'POST', path, { raw: body, headers: { authorization, 'content-type': 'application/json' } });
  }

  it('renews with the same key: new certificate, old one superseded but still valid', async () => {
    const d = await enrolledDevice(t.app, orgId, accountId);
    const res = await renew(d, d.deviceId, await csrPem(d.device));
    expect(res.status).toBe(200);
    expect(res.body.keyRotated).toBe(false);
    expect(await resolveReceipt(t.url, t.adminToken, res.body.transparency, 'certificate_renewed')).toEqual(expect.any(Number));
    expect(res.body.certificate.sha256).not.toBe(d.chain.sha256);
    expect(Buffer.from(res.body.credential, 'base64').length).toBeGreaterThan(100);
    const rows = await t.dataSource.query(`SELECT id, status, superseded_by FROM certificate WHERE device_id = $1 ORDER BY created_at`, [d.deviceId]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['superseded', 'active']);
    expect(rows[0].superseded_by).toBe(rows[1].id);
    const kt = await t.dataSource.query(`SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'deviceId' = $1 ORDER BY id`, [
      d.deviceId,
    ]);
    expect(kt.map((r: { payload: { type: string } }) => r.payload.type)).toEqual(['certificate_issued', 'certificate_renewed']);
  });

  it('rotates to a new key, and the old key can never come back', async () => {
    const d = await enrolledDevice(t.app, orgId, accountId);
    const next = await deviceKeys(1);
    const res = await renew(d, d.deviceId, await csrPem(next));
    expect(res.status).toBe(200);
    expect(res.body.keyRotated).toBe(true);
    const [device] = await t.dataSource.query('SELECT signature_key_sha256 FROM device WHERE id = $1', [d.deviceId]);
    expect(Buffer.from(device.signature_key_sha256)).toEqual(createHash('sha256').update(next.spki).digest());
    // Renewing again with the new certificate back to the old key is refused.
    const renewed = {
      device: next,
      chain: { ...d.chain, chainDer: res.body.chainDer.map((x: string) => new Uint8Array(Buffer.from(x, 'base64'))) },
      deviceId: d.deviceId,
    };
    const back = await renew(renewed as never, d.deviceId, await csrPem(d.device));
    expect(back.status).toBe(409);
    expect(back.body.reason).toBe('signature_key_already_used');
  });

  it('refuses replays, stale or misdirected signatures, other devices and revoked certificates', async () => {
    const d = await enrolledDevice(t.app, orgId, accountId);
    const other = await enrolledDevice(t.app, orgId, accountId);
    const csr = await csrPem(d.device);
    const jti = 'fixed-jti-0123456789abcdef';
    expect((await renew(d, d.deviceId, csr, { jti })).status).toBe(200);
    // The first renewal superseded d's certificate: a replay is refused either way; use the new chain.
    const replay = await renew(d, d.deviceId, csr, { jti });
    expect(replay.status).toBe(401);

    const e = await enrolledDevice(t.app, orgId, accountId);
    const stale = await renew(e, e.deviceId, await csrPem(e.device), { iat: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale.status).toBe(401);
    expect(stale.body.reason).toBe('stale');
    const wrongPath = await renew(e, e.deviceId, await csrPem(e.device), { path: `/v1/devices/${other.deviceId}/certificate/renew` });
    expect(wrongPath.body.reason).toBe('wrong_request');
    // Signed with another device's key while presenting e's chain.
    const forged = await renew(e, e.deviceId, await csrPem(e.device), { signAs: other.device });
    expect(forged.status).toBe(401);
    expect(forged.body.reason).toBe('bad_signature');
    // A device may renew only itself.
    const foreign = await renew(other, e.deviceId, await csrPem(e.device));
    expect(foreign.status).toBe(403);
    expect(foreign.body.reason).toBe('not_this_device');
    // A CSR whose signature does not verify, and garbage.
    const good = await csrPem(e.device);
    const der = Buffer.from(good.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 1] ^= 0xff;
    const badPop = await renew(e, e.deviceId, der.toString('base64'));
    expect(badPop.status).toBe(422);
    expect(badPop.body.reason).toBe('csr_signature_invalid');
    const junk = await renew(e, e.deviceId, 'not a csr');
    expect(junk.status).toBe(400);
    // Revoked: the next request is refused.
    await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${e.deviceId}/revoke`, { token: t.adminToken, body: {} });
    const revoked = await renew(e, e.deviceId, await csrPem(e.device));
    expect(revoked.status).toBe(401);
    expect(revoked.body.reason).toBe('certificate_revoked');
  });

  it('enforces the org policy of a fresh IdP sign-in after N days', async () => {
    await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { certificates: { reauthenticateAfterDays: 7 } } },
    });
    const d = await enrolledDevice(t.app, orgId, accountId);
    await t.dataSource.query(`UPDATE device SET authenticated_at = now() - interval '8 days' WHERE id = $1`, [d.deviceId]);
    const res = await renew(d, d.deviceId, await csrPem(d.device));
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('reauthentication_required');
    const bad = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { certificates: { lifetimeDays: 90 } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(['certificates.lifetimeDays must be a whole number from 1 to 30']);
  });
});
