import { randomUUID } from 'node:crypto';
import { asSession, signInAdmin, startAdminFixture, type AdminFixture } from '../support/admin-sign-in.js';

/** Entra-like IdP: group object ids in `groups`, the admin named by tid:oid, and the groups overage refused. */
describe('admin sign-in (Entra-like group ids)', () => {
  let fx: AdminFixture;
  const helpdeskGroup = randomUUID();
  const auditorGroup = randomUUID();

  beforeAll(async () => {
    fx = await startAdminFixture('entra', {
      users: {
        hana: { email: 'hana@contoso.example', groups: [randomUUID(), helpdeskGroup] },
        abe: { email: 'abe@contoso.example', groups: [auditorGroup] },
        ollie: { email: 'ollie@contoso.example', groupsOverage: true },
        unverified: { email: 'un@contoso.example', emailVerified: false, groups: [helpdeskGroup] },
      },
      orgs: [{ slug: 'contoso', map: { [helpdeskGroup]: 'helpdesk', [auditorGroup]: 'auditor' } }],
    });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('maps group object ids to roles', async () => {
    const hana = await signInAdmin(fx.t, 'contoso', 'hana');
    expect(hana.status).toBe(200);
    expect(hana.body).toMatchObject({ actor: 'admin:hana@contoso.example', roles: ['helpdesk'] });
    const abe = await signInAdmin(fx.t, 'contoso', 'abe');
    expect(abe.body.roles).toEqual(['auditor']);
    const who = await asSession(fx.t, abe, 'GET', '/v1/admin/session');
    expect(who.body.subject).toBe(`${fx.idp.tenantId}:${fx.idp.users.get('abe')!.oid}`.toLowerCase());
    // An auditor reads the org but configures nothing.
    expect((await asSession(fx.t, abe, 'GET', '/v1/admin/orgs/contoso')).status).toBe(200);
    const refused = await asSession(fx.t, abe, 'POST', '/v1/admin/orgs/contoso/scim-tokens', { description: 'x' });
    expect([refused.status, refused.body.reason]).toEqual([403, 'admin_role_insufficient']);
  }, 60_000);

  it('names an admin whose email Entra does not vouch for (no xms_edov) by tid:oid', async () => {
    const s = await signInAdmin(fx.t, 'contoso', 'unverified');
    expect(s.body.actor).toBe(`admin:${fx.idp.tenantId}:${fx.idp.users.get('unverified')!.oid}`.toLowerCase());
  }, 30_000);

  it('refuses the groups overage with its reason, audited, instead of signing in with no groups', async () => {
    const s = await signInAdmin(fx.t, 'contoso', 'ollie');
    expect([s.status, s.body.reason]).toEqual([403, 'admin_groups_overage']);
    expect(s.session).toBeUndefined();
    const [row] = await fx.t.dataSource.query(`SELECT details FROM audit_event WHERE action = 'admin.sign_in_refused' ORDER BY id DESC LIMIT 1`);
    expect(row.details.reason).toBe('admin_groups_overage');
  }, 30_000);
});
