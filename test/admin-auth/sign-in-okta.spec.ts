import { call } from '../support/test-app.js';
import {
  ADMIN_SERVICE_CLIENT,
  adminBearer,
  asSession,
  signInAdmin,
  startAdminFixture,
  SESSION_COOKIE,
  type AdminFixture,
} from '../support/admin-sign-in.js';

/**
 * Admin sign-in against an Okta-like IdP (group names in `groups`): roles from the org's map,
 * the session cookie and its CSRF header, expiry and revocation, bearer tokens, org scope,
 * the platform role of the operator org, and the audit trail of each.
 */
describe('admin sign-in (Okta-like groups)', () => {
  let fx: AdminFixture;
  const audit = (action: string) =>
    fx.t.dataSource.query(`SELECT org_id, actor, action, target, details FROM audit_event WHERE action = $1 ORDER BY id`, [action]);

  beforeAll(async () => {
    fx = await startAdminFixture('okta', {
      users: {
        alice: { email: 'alice@acme.example', groups: ['Everyone', 'IT Admins'] },
        sam: { email: 'sam@acme.example', groups: ['Security'] },
        nora: { email: 'nora@acme.example', groups: ['Everyone'] },
        olga: { email: 'olga@ops.example', groups: ['Platform Operators'] },
        una: { email: 'una@acme.example', emailVerified: false, groups: ['IT Admins'] },
      },
      orgs: [
        { slug: 'acme', map: { 'IT Admins': 'org-admin', Security: 'security-admin' } },
        { slug: 'beta', map: { 'Beta Admins': 'org-admin' } },
        { slug: 'ops', map: {} },
      ],
      env: { PLATFORM_ADMIN_ORG: 'ops', PLATFORM_ADMIN_GROUPS: 'Platform Operators' },
    });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('signs an admin in with the role its group maps to, as a Secure HttpOnly __Host- cookie, and audits it with the IdP identity', async () => {
    const started = await fetch(`${fx.t.url}/v1/admin/orgs/acme/sign-in`, { redirect: 'manual' });
    const location = new URL(started.headers.get('location')!);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('scope')).toContain('groups');
    expect(started.headers.getSetCookie().join('\n')).toMatch(/__Host-mlsid-admin-sign-in=.*; Path=\/; HttpOnly; Secure; SameSite=Lax/);

    const s = await signInAdmin(fx.t, 'acme', 'alice');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ actor: 'admin:alice@acme.example', org: 'acme', roles: ['org-admin'] });
    const who = await asSession(fx.t, s, 'GET', '/v1/admin/session');
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ actor: 'admin:alice@acme.example', via: 'session', org: 'acme', roles: ['org-admin'], platform: false });
    expect(who.body.issuer).toBe(fx.idp.issuer);
    expect(who.body.csrfToken).toBe(s.csrfToken);
    const [row] = await fx.t.dataSource.query(`SELECT secret_hash FROM admin_credential WHERE kind = 'session' ORDER BY created_at DESC LIMIT 1`);
    expect(Buffer.from(row.secret_hash).toString('base64url')).not.toBe(s.session);
    const signedIn = await audit('admin.signed_in');
    expect(signedIn.at(-1)).toMatchObject({ org_id: fx.orgIds.acme, actor: 'admin:alice@acme.example' });
    expect(signedIn.at(-1).details).toMatchObject({ roles: ['org-admin'], groups: ['IT Admins'], issuer: fx.idp.issuer });
    // The session acts as the admin, not as admin:bootstrap.
    const patched = await asSession(fx.t, s, 'PATCH', '/v1/admin/orgs/acme/settings', { settings: { removals: { overdueAfterMinutes: 7 } } });
    expect(patched.status).toBe(200);
  }, 30_000);

  it('names an admin whose email the IdP does not vouch for by its subject', async () => {
    const s = await signInAdmin(fx.t, 'acme', 'una');
    expect(s.status).toBe(200);
    expect(s.body.actor).toMatch(/^admin:00u/);
  }, 30_000);

  it('refuses a signed-in person whose groups map to no role (403, audited)', async () => {
    const s = await signInAdmin(fx.t, 'acme', 'nora');
    expect(s.status).toBe(403);
    expect(s.body.reason).toBe('admin_role_not_mapped');
    expect(s.session).toBeUndefined();
    const refused = await audit('admin.sign_in_refused');
    expect(refused.at(-1)).toMatchObject({ org_id: fx.orgIds.acme });
    expect(refused.at(-1).details.reason).toBe('admin_role_not_mapped');
    // A browser gets the same refusal as a page.
    const page = await signInAdmin(fx.t, 'acme', 'nora', { html: true });
    expect([page.status, page.contentType]).toEqual([403, 'text/html; charset=utf-8']);
    expect(page.text).toContain('admin_role_not_mapped');
    const welcome = await signInAdmin(fx.t, 'acme', 'alice', { html: true });
    expect([welcome.status, welcome.contentType]).toEqual([200, 'text/html; charset=utf-8']);
    expect(welcome.text).toContain('admin:alice@acme.example');
    expect(welcome.session).toBeDefined();
  }, 30_000);

  it('a role in org A gives nothing in org B: refused at sign-in there, and its credentials are refused on B', async () => {
    const inBeta = await signInAdmin(fx.t, 'beta', 'alice');
    expect([inBeta.status, inBeta.body.reason]).toEqual([403, 'admin_role_not_mapped']);
    const s = await signInAdmin(fx.t, 'acme', 'alice');
    expect((await asSession(fx.t, s, 'GET', '/v1/admin/orgs/beta')).status).toBe(401);
    expect((await asSession(fx.t, s, 'GET', '/v1/admin/orgs/beta/idp-connections')).status).toBe(401);
    // Routes of no org belong to the platform operator.
    expect((await asSession(fx.t, s, 'GET', '/v1/admin/orgs')).status).toBe(403);
    const token = await adminBearer(fx.t, s);
    expect((await call(fx.t.url, 'GET', '/v1/admin/orgs/beta', { token })).status).toBe(401);
    expect((await call(fx.t.url, 'GET', '/v1/admin/orgs/acme', { token })).status).toBe(200);
  }, 60_000);

  it('a security admin manages keys but not the org configuration', async () => {
    const s = await signInAdmin(fx.t, 'acme', 'sam');
    expect(s.body.roles).toEqual(['security-admin']);
    const refused = await asSession(fx.t, s, 'PATCH', '/v1/admin/orgs/acme/settings', { settings: { removals: { overdueAfterMinutes: 8 } } });
    expect([refused.status, refused.body.reason]).toEqual([403, 'admin_role_insufficient']);
  }, 30_000);

  it('refuses unsafe requests of a cookie session without its CSRF header, or with another session’s', async () => {
    const a = await signInAdmin(fx.t, 'acme', 'alice');
    const b = await signInAdmin(fx.t, 'acme', 'alice');
    const body = { settings: { removals: { overdueAfterMinutes: 9 } } };
    const none = await asSession(fx.t, a, 'PATCH', '/v1/admin/orgs/acme/settings', body, { csrf: null });
    expect([none.status, none.body.reason]).toEqual([403, 'csrf_token_invalid']);
    const other = await asSession(fx.t, a, 'PATCH', '/v1/admin/orgs/acme/settings', body, { csrf: b.csrfToken });
    expect([other.status, other.body.reason]).toEqual([403, 'csrf_token_invalid']);
    const [org] = await fx.t.dataSource.query(`SELECT settings FROM org WHERE slug = 'acme'`);
    expect(org.settings.removals?.overdueAfterMinutes).not.toBe(9);
    // Safe methods need no header; sign-out is unsafe too.
    expect((await asSession(fx.t, a, 'GET', '/v1/admin/orgs/acme')).status).toBe(200);
    expect((await asSession(fx.t, a, 'POST', '/v1/admin/sign-out', undefined, { csrf: null })).status).toBe(403);
    expect((await asSession(fx.t, a, 'PATCH', '/v1/admin/orgs/acme/settings', body)).status).toBe(200);
  }, 60_000);

  it('refuses a session after sign-out, after its idle timeout and after its absolute expiry; its bearer tokens die with it', async () => {
    const out = await signInAdmin(fx.t, 'acme', 'alice');
    const token = await adminBearer(fx.t, out);
    expect((await call(fx.t.url, 'GET', '/v1/admin/session', { token })).body).toMatchObject({ via: 'bearer', actor: 'admin:alice@acme.example' });
    const signedOut = await asSession(fx.t, out, 'POST', '/v1/admin/sign-out');
    expect(signedOut.status).toBe(204);
    expect(signedOut.headers.getSetCookie().join()).toContain(`${SESSION_COOKIE}=;`);
    expect((await asSession(fx.t, out, 'GET', '/v1/admin/session')).status).toBe(401);
    expect((await call(fx.t.url, 'GET', '/v1/admin/session', { token })).status).toBe(401);
    expect((await audit('admin.signed_out')).length).toBeGreaterThanOrEqual(1);

    const idle = await signInAdmin(fx.t, 'acme', 'alice');
    await fx.t.dataSource.query(`UPDATE admin_credential SET last_used_at = now() - interval '31 minutes' WHERE kind = 'session'`);
    expect((await asSession(fx.t, idle, 'GET', '/v1/admin/session')).status).toBe(401);

    const old = await signInAdmin(fx.t, 'acme', 'alice');
    await fx.t.dataSource.query(`UPDATE admin_credential SET expires_at = now() - interval '1 second' WHERE kind = 'session'`);
    expect((await asSession(fx.t, old, 'GET', '/v1/admin/session')).status).toBe(401);
  }, 90_000);

  it('revokes a bearer token by signing out with it, and refuses an expired one', async () => {
    const s = await signInAdmin(fx.t, 'acme', 'alice');
    const token = await adminBearer(fx.t, s);
    expect(token).toMatch(/^mlsid_adm_/);
    expect((await call(fx.t.url, 'POST', '/v1/admin/sign-out', { token })).status).toBe(204);
    expect((await call(fx.t.url, 'GET', '/v1/admin/orgs/acme', { token })).status).toBe(401);
    // The session that minted it lives on.
    expect((await asSession(fx.t, s, 'GET', '/v1/admin/session')).status).toBe(200);
    const second = await adminBearer(fx.t, s);
    await fx.t.dataSource.query(`UPDATE admin_credential SET expires_at = now() - interval '1 second' WHERE kind = 'bearer'`);
    expect((await call(fx.t.url, 'GET', '/v1/admin/orgs/acme', { token: second })).status).toBe(401);
    // A bearer token mints no further tokens.
    const fresh = await adminBearer(fx.t, s);
    const minted = await call(fx.t.url, 'POST', '/v1/admin/tokens', { token: fresh });
    expect([minted.status, minted.body.reason]).toEqual([400, 'session_not_cookie']);
  }, 60_000);

  it('binds the IdP answer to the browser that started the sign-in, and answers a state once', async () => {
    const elsewhere = await signInAdmin(fx.t, 'acme', 'alice', { keepSignInCookie: false });
    expect([elsewhere.status, elsewhere.body.reason]).toEqual([403, 'sign_in_other_browser']);
    const unknown = await call(fx.t.url, 'GET', '/v1/admin/sign-in/callback?state=nope&code=x');
    expect([unknown.status, unknown.body.reason]).toEqual([400, 'sign_in_state_invalid']);
  }, 30_000);

  it('refuses a sign-in the IdP denied, and one whose code exchange fails (wrong client secret)', async () => {
    const denied = await signInAdmin(fx.t, 'acme', 'alice', { deny: true });
    expect([denied.status, denied.body.reason]).toEqual([403, 'sign_in_idp_refused']);
    const created = await call(fx.t.url, 'POST', '/v1/admin/orgs', { token: fx.t.adminToken, body: { slug: 'delta', name: 'Delta' } });
    expect(created.status).toBe(201);
    const idp = await call(fx.t.url, 'POST', '/v1/admin/orgs/delta/idp-connections', {
      token: fx.t.adminToken,
      body: { name: 'okta', kind: 'okta', issuer: fx.idp.issuer, clientId: ADMIN_SERVICE_CLIENT.clientId, clientSecret: 'not-the-secret-0123456789' },
    });
    expect(idp.status).toBe(201);
    await call(fx.t.url, 'PATCH', '/v1/admin/orgs/delta/settings', {
      token: fx.t.adminToken,
      body: { settings: { adminRoles: { map: { 'IT Admins': 'org-admin' } } } },
    });
    const failed = await signInAdmin(fx.t, 'delta', 'alice');
    expect([failed.status, failed.body.reason]).toEqual([502, 'sign_in_idp_failed']);
  }, 60_000);

  it('the operator org grants platform-admin to its mapped group: creates orgs, acts in every org', async () => {
    const s = await signInAdmin(fx.t, 'ops', 'olga');
    expect(s.status).toBe(200);
    expect(s.body.roles).toEqual(['platform-admin']);
    const who = await asSession(fx.t, s, 'GET', '/v1/admin/session');
    expect(who.body).toMatchObject({ platform: true, actor: 'admin:olga@ops.example' });
    const created = await asSession(fx.t, s, 'POST', '/v1/admin/orgs', { slug: 'gamma', name: 'Gamma' });
    expect(created.status).toBe(201);
    expect((await asSession(fx.t, s, 'GET', '/v1/admin/orgs/beta')).status).toBe(200);
    const [row] = await fx.t.dataSource.query(`SELECT actor FROM audit_event WHERE action = 'org.create' AND details->>'slug' = 'gamma'`);
    expect(row.actor).toBe('admin:olga@ops.example');
    // The same group in another org grants nothing.
    const elsewhere = await signInAdmin(fx.t, 'acme', 'olga');
    expect([elsewhere.status, elsewhere.body.reason]).toEqual([403, 'admin_role_not_mapped']);
  }, 60_000);

  it('audits every use of the break-glass ADMIN_TOKEN with its route', async () => {
    const res = await call(fx.t.url, 'GET', '/v1/admin/orgs/beta/idp-connections', { token: fx.t.adminToken });
    expect(res.status).toBe(200);
    const used = await audit('admin.break_glass_used');
    expect(used.at(-1)).toMatchObject({ org_id: fx.orgIds.beta, actor: 'admin:bootstrap', target: 'GET /v1/admin/orgs/:org/idp-connections' });
    expect(used.at(-1).details.path).toBe('/v1/admin/orgs/beta/idp-connections');
    // A refused use is a use.
    const id = '2b0f1d9e-8c1a-4b5e-9a57-3f2d7c6b5a41';
    expect((await call(fx.t.url, 'DELETE', `/v1/admin/orgs/beta/scim-tokens/${id}`, { token: fx.t.adminToken })).status).toBe(404);
    expect((await audit('admin.break_glass_used')).at(-1)).toMatchObject({ target: 'DELETE /v1/admin/orgs/:org/scim-tokens/:id' });
  });

  it('validates the adminRoles setting', async () => {
    // Raw JSON, as an admin would send it.
    for (const adminRoles of ['{"map":{"Admins":"platform-admin"}}', '{"map":["org-admin"]}', '{"groupsClaim":"bad claim"}']) {
      const res = await call(fx.t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
        token: fx.t.adminToken,
        raw: `{"settings":{"adminRoles":${adminRoles}}}`,
        headers: { 'content-type': 'application/json' },
      });
      expect([adminRoles, res.status, res.body.reason]).toEqual([adminRoles, 400, 'invalid_settings']);
    }
  });
});
