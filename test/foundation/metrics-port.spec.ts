import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';

describe('metrics on a port of their own', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.get(OrgsService).create('test', 'acme-metrics', 'Acme');
  });
  afterAll(async () => {
    await t.close();
  });

  it('the API port (and so any ingress in front of it) answers 404 for /metrics', async () => {
    for (const path of ['/metrics', '/metrics/', '/metrics?format=json', '/Metrics']) {
      const res = await call(t.url, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('acme-metrics');
      expect(res.text).not.toContain('# HELP');
    }
  });

  it('the metrics port serves the Prometheus exposition, and nothing else', async () => {
    expect(t.metricsUrl).not.toBe(t.url);
    const res = await fetch(`${t.metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toContain('# HELP http_request_duration_seconds');
    expect(text).toMatch(/kt_log_size\{|outbox_pending/);
    expect((await fetch(`${t.metricsUrl}/v1/admin/orgs`)).status).toBe(404);
    expect((await fetch(`${t.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('stops listening when the app closes', async () => {
    const other = await createTestApp({ db: t.db });
    const url = `${other.metricsUrl}/metrics`;
    expect((await fetch(url)).status).toBe(200);
    await other.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
