// Admin sign-in's public routes write a pending sign-in each: like enrollment's (issue 13 §7),
// they are counted per client address, so they cannot be used to fill the database.
import { startAdminFixture, type AdminFixture } from '../support/admin-sign-in.js';

describe('admin sign-in: anonymous routes are rate-limited per client address', () => {
  let fx: AdminFixture;

  beforeAll(async () => {
    fx = await startAdminFixture('okta', {
      users: { alice: { email: 'alice@acme.example', groups: ['IT Admins'] } },
      orgs: [{ slug: 'acme', map: { 'IT Admins': 'org-admin' } }],
      env: { ENROLLMENT_STARTS_PER_IP_PER_MINUTE: '3' },
    });
  }, 60_000);
  afterAll(() => fx?.close());

  it('refuses the fourth start from one address within a minute with 429 and Retry-After, whatever the route', async () => {
    const start = () => fetch(`${fx.t.url}/v1/admin/orgs/acme/sign-in`, { redirect: 'manual' });
    expect((await start()).status).toBe(302);
    expect((await start()).status).toBe(302);
    const cli = await fetch(`${fx.t.url}/v1/admin/orgs/acme/cli-logins`, { method: 'POST' });
    expect([200, 201]).toContain(cli.status);
    for (const refused of [await start(), await fetch(`${fx.t.url}/v1/admin/orgs/acme/cli-logins`, { method: 'POST' })]) {
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { reason?: string }).reason).toBe('enrollment_rate_limited');
    }
    const [{ n }] = await fx.t.dataSource.query(`SELECT count(*)::int AS n FROM admin_sign_in`);
    expect(n).toBe(2);
  });
});
