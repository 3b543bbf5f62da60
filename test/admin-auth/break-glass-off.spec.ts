import { call, createTestApp, type TestApp } from '../support/test-app.js';

/** ADMIN_TOKEN_DISABLED=true: the break-glass token is refused (with its reason), and the refusal is not a use. */
describe('break-glass ADMIN_TOKEN turned off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_TOKEN_DISABLED: 'true' } });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('refuses the token on every admin route, and records no use', async () => {
    const listed = await call(t.url, 'GET', '/v1/admin/orgs', { token: t.adminToken });
    expect([listed.status, listed.body.reason]).toEqual([401, 'break_glass_disabled']);
    const created = await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'acme', name: 'Acme' } });
    expect(created.status).toBe(401);
    expect(await t.dataSource.query(`SELECT 1 FROM org`)).toHaveLength(0);
    expect(await t.dataSource.query(`SELECT 1 FROM audit_event WHERE action = 'admin.break_glass_used'`)).toHaveLength(0);
  });
});
