import { createHash } from 'node:crypto';
import { call, createTestApp, type TestApp } from '../support/test-app.js';

/** The audit events of changes: every break-glass token use is audited too (its own row per request). */
const changes = (events: { action: string; actor: string }[]) => events.filter((e) => e.action !== 'admin.break_glass_used');

describe('admin API: orgs and their connections', () => {
  let t: TestApp;
  const admin = () => t.adminToken;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates orgs and refuses duplicates and bad slugs with a reason', async () => {
    const created = await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'acme', name: 'Acme' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: 'acme', name: 'Acme' });
    const dup = await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'acme', name: 'Again' } });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toContain('application/problem+json');
    expect(dup.body.reason).toBe('org_exists');
    const bad = await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'Not A Slug!', name: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.join(' ')).toMatch(/slug/);
    const extra = await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'ok-org', name: 'x', evil: 1 } });
    expect(extra.status).toBe(400);
  });

  it('stores SCIM and DS tokens only as hashes and shows them once', async () => {
    await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'hashes', name: 'Hashes' } });
    const scim = await call(t.url, 'POST', '/v1/admin/orgs/hashes/scim-tokens', { token: admin(), body: { description: 'okta' } });
    expect(scim.status).toBe(201);
    expect(scim.body.token).toMatch(/^mlsid_scim_/);
    const ds = await call(t.url, 'POST', '/v1/admin/orgs/hashes/ds-clients', {
      token: admin(),
      body: { name: 'chat', webhookUrl: 'https://chat.example.com/hook' },
    });
    expect(ds.status).toBe(201);
    expect(ds.body.token).toMatch(/^mlsid_ds_/);
    expect(ds.body.webhookSecret).toMatch(/^mlsid_whsec_/);

    const [scimRow] = await t.dataSource.query('SELECT * FROM scim_token WHERE id = $1', [scim.body.id]);
    expect(Buffer.from(scimRow.token_hash)).toEqual(createHash('sha256').update(scim.body.token).digest());
    const [dsRow] = await t.dataSource.query('SELECT * FROM ds_client WHERE id = $1', [ds.body.id]);
    expect(Buffer.from(dsRow.token_hash)).toEqual(createHash('sha256').update(ds.body.token).digest());
    // No column of any row holds the plaintext token or the webhook secret.
    const dump = JSON.stringify(
      await t.dataSource.query(`SELECT row_to_json(x)::text AS j FROM (
        SELECT * FROM scim_token UNION ALL SELECT id, org_id, name, token_hash, token_prefix, created_at, last_used_at, revoked_at,
          previous_token_hash, previous_token_expires_at FROM ds_client) x`),
    );
    const everything = JSON.stringify(await t.dataSource.query('SELECT encode(webhook_secret_sealed, $1) AS s FROM ds_client', ['escape']));
    for (const secret of [scim.body.token, ds.body.token, ds.body.webhookSecret]) {
      expect(dump).not.toContain(secret);
      expect(everything).not.toContain(secret);
    }

    // Listings show a prefix, never the token.
    const list = await call(t.url, 'GET', '/v1/admin/orgs/hashes/scim-tokens', { token: admin() });
    expect(list.text).not.toContain(scim.body.token);
    expect(list.body.scimTokens[0].prefix).toBe(scim.body.token.slice(0, list.body.scimTokens[0].prefix.length));
    const dsList = await call(t.url, 'GET', '/v1/admin/orgs/hashes/ds-clients', { token: admin() });
    expect(dsList.text).not.toContain(ds.body.token);
    expect(dsList.text).not.toContain(ds.body.webhookSecret);
  });

  it('never returns an IdP client secret', async () => {
    await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'idps', name: 'Idps' } });
    const secret = 'super-secret-client-value-123';
    const created = await call(t.url, 'POST', '/v1/admin/orgs/idps/idp-connections', {
      token: admin(),
      body: { name: 'okta', kind: 'okta', issuer: 'https://acme.okta.com', clientId: 'abc', clientSecret: secret, requireMfa: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.hasClientSecret).toBe(true);
    expect(created.text).not.toContain(secret);
    const list = await call(t.url, 'GET', '/v1/admin/orgs/idps/idp-connections', { token: admin() });
    expect(list.text).not.toContain(secret);
    const badKind = await call(t.url, 'POST', '/v1/admin/orgs/idps/idp-connections', {
      token: admin(),
      body: { name: 'x', kind: 'saml', issuer: 'https://x', clientId: 'a' },
    });
    expect(badKind.status).toBe(400);
    const sameName = await call(t.url, 'POST', '/v1/admin/orgs/idps/idp-connections', {
      token: admin(),
      body: { name: 'okta', kind: 'okta', issuer: 'https://other.okta.com', clientId: 'def' },
    });
    expect(sameName.status).toBe(409);
    expect(sameName.body.reason).toBe('idp_connection_exists');
    const audit = await call(t.url, 'GET', '/v1/admin/orgs/idps/audit-events', { token: admin() });
    expect(audit.text).not.toContain(secret);
    expect(changes(audit.body.auditEvents).map((e: { action: string }) => e.action)).toEqual(['org.create', 'idp_connection.create']);
  });

  it("keeps org A's admin objects invisible through org B", async () => {
    for (const slug of ['org-a', 'org-b']) {
      await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug, name: slug } });
    }
    const tokenA = await call(t.url, 'POST', '/v1/admin/orgs/org-a/scim-tokens', { token: admin(), body: {} });
    const dsA = await call(t.url, 'POST', '/v1/admin/orgs/org-a/ds-clients', { token: admin(), body: { name: 'ds-a' } });
    const idpA = await call(t.url, 'POST', '/v1/admin/orgs/org-a/idp-connections', {
      token: admin(),
      body: { name: 'e', kind: 'entra', issuer: 'https://login.microsoftonline.com/t/v2.0', clientId: 'c' },
    });
    expect((await call(t.url, 'GET', '/v1/admin/orgs/org-b/scim-tokens', { token: admin() })).body.scimTokens).toEqual([]);
    expect((await call(t.url, 'GET', '/v1/admin/orgs/org-b/ds-clients', { token: admin() })).body.dsClients).toEqual([]);
    const auditorA = await call(t.url, 'POST', '/v1/admin/orgs/org-a/auditor-tokens', { token: admin(), body: {} });
    const refusals = [
      ['GET', `/v1/admin/orgs/org-b/idp-connections/${idpA.body.id}`, 'idp_connection_not_found'],
      ['DELETE', `/v1/admin/orgs/org-b/scim-tokens/${tokenA.body.id}`, 'scim_token_not_found'],
      ['DELETE', `/v1/admin/orgs/org-b/ds-clients/${dsA.body.id}`, 'ds_client_not_found'],
      ['DELETE', `/v1/admin/orgs/org-b/idp-connections/${idpA.body.id}`, 'idp_connection_not_found'],
      ['DELETE', `/v1/admin/orgs/org-b/auditor-tokens/${auditorA.body.id}`, 'auditor_token_not_found'],
    ] as const;
    for (const [method, path, reason] of refusals) {
      const res = await call(t.url, method, path, { token: admin() });
      expect([path, res.status, res.body.reason]).toEqual([path, 404, reason]);
    }
    // ...and still there, untouched, under org A.
    const a = await call(t.url, 'GET', '/v1/admin/orgs/org-a/scim-tokens', { token: admin() });
    expect(a.body.scimTokens).toHaveLength(1);
    expect(a.body.scimTokens[0].revokedAt).toBeNull();
    const auditB = await call(t.url, 'GET', '/v1/admin/orgs/org-b/audit-events', { token: admin() });
    expect(auditB.body.auditEvents.map((e: { target: string }) => e.target).join()).not.toContain(tokenA.body.id);
  });

  it('revokes tokens and audits it', async () => {
    await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'revoke', name: 'R' } });
    const tok = await call(t.url, 'POST', '/v1/admin/orgs/revoke/scim-tokens', { token: admin(), body: {} });
    const revoked = await call(t.url, 'DELETE', `/v1/admin/orgs/revoke/scim-tokens/${tok.body.id}`, { token: admin() });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const audit = await call(t.url, 'GET', '/v1/admin/orgs/revoke/audit-events?limit=10', { token: admin() });
    const actions = changes(audit.body.auditEvents).map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`);
    expect(actions).toEqual(['admin:bootstrap org.create', 'admin:bootstrap scim_token.create', 'admin:bootstrap scim_token.revoke']);
    expect((await call(t.url, 'DELETE', '/v1/admin/orgs/revoke/scim-tokens/not-a-uuid', { token: admin() })).status).toBe(400);
    const missing = await call(t.url, 'GET', '/v1/admin/orgs/nope', { token: admin() });
    expect(missing.status).toBe(404);
    expect(missing.body.reason).toBe('org_not_found');
  });

  it('validates settings patches and lists every problem', async () => {
    await call(t.url, 'POST', '/v1/admin/orgs', { token: admin(), body: { slug: 'policy', name: 'P' } });
    const bad = await call(t.url, 'PATCH', '/v1/admin/orgs/policy/settings', {
      token: admin(),
      body: { settings: { certificates: { lifetimeDays: 0 }, nonsense: {} } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('invalid_settings');
    expect(bad.body.errors).toEqual(['certificates.lifetimeDays must be a whole number from 1 to 30', 'unknown settings section "nonsense"']);
    const good = await call(t.url, 'PATCH', '/v1/admin/orgs/policy/settings', {
      token: admin(),
      body: { settings: { certificates: { lifetimeDays: 3 } } },
    });
    expect(good.status).toBe(200);
    expect(good.body.settings.certificates.lifetimeDays).toBe(3);
  });
});
