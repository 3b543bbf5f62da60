import { ShutdownState } from '../../apps/identity-service/src/health/shutdown-state.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';

/** In process; the SIGTERM path of the real process is in service-process.spec.ts. */
describe('draining with DS long polls open', () => {
  let t: TestApp;
  let ds: string;

  beforeAll(async () => {
    t = await createTestApp();
    await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'drain', name: 'Drain' } });
    ds = (await call(t.url, 'POST', '/v1/admin/orgs/drain/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token;
  });

  afterAll(async () => {
    await t?.close();
  });

  const poll = async () => {
    const started = Date.now();
    const res = await call(t.url, 'GET', '/v1/ds/removals?wait=60', { token: ds });
    return { status: res.status, body: res.body, ms: Date.now() - started };
  };

  it('answers parked long polls at once on drain, and new ones without waiting', async () => {
    const parked = [poll(), poll()];
    await new Promise((r) => setTimeout(r, 300));
    const drained = Date.now();
    t.app.get(ShutdownState).drain();
    for (const p of await Promise.all(parked)) {
      expect(p.status).toBe(200);
      expect(p.body).toEqual({ removals: [], cursor: '0' });
    }
    expect(Date.now() - drained).toBeLessThan(1000);

    const fresh = await poll();
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({ removals: [], cursor: '0' });
    expect(fresh.ms).toBeLessThan(1000);
  });
});

describe('app.close() with a DS long poll open', () => {
  it('answers the poll and closes without waiting for it to time out', async () => {
    const t = await createTestApp();
    await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'close', name: 'Close' } });
    const ds = (await call(t.url, 'POST', '/v1/admin/orgs/close/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token;
    const parked = call(t.url, 'GET', '/v1/ds/removals?wait=60', { token: ds });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await t.close();
    expect((await parked).status).toBe(200);
    // Not the poll's 60 s. (Nest's own close does not sweep the poll's connection once it is
    // idle, so the client's keep-alive timeout can show here; main.ts does sweep on SIGTERM.)
    expect(Date.now() - started).toBeLessThan(10000);
  });
});
