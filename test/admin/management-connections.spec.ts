import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/** IdP connections and DS clients changed in place, and secrets rotated with an overlap. */
describe('admin management API: connections and secret rotation', () => {
  let t: TestApp;
  const admin = () => ({ token: t.adminToken });
  const api = (method: string, path: string, body?: unknown) => call(t.url, method, `/v1/admin/orgs/acme${path}`, { ...admin(), body });

  beforeAll(async () => {
    t = await createTestApp();
    expect((await call(t.url, 'POST', '/v1/admin/orgs', { ...admin(), body: { slug: 'acme', name: 'Acme' } })).status).toBe(201);
    expect((await call(t.url, 'POST', '/v1/admin/orgs', { ...admin(), body: { slug: 'globex', name: 'Globex' } })).status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const auditOf = async (target: string) =>
    JSON.stringify(await t.dataSource.query(`SELECT action, details FROM audit_event WHERE target = $1 ORDER BY created_at`, [target]));

  it('updates an IdP connection in place: same id, new secret sealed and never shown, audited without it', async () => {
    const created = await api('POST', '/idp-connections', {
      name: 'okta',
      kind: 'okta',
      issuer: 'https://acme.okta.example',
      clientId: 'svc',
      clientSecret: 'first-secret-value-0001',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const secret = 'rotated-secret-value-0002';
    const res = await api('PATCH', `/idp-connections/${id}`, {
      clientSecret: secret,
      claimMapping: { email: 'upn' },
      requireMfa: true,
      name: 'okta-main',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      name: 'okta-main',
      hasClientSecret: true,
      requireMfa: true,
      claimMapping: { email: 'upn' },
      clientId: 'svc',
    });
    expect(res.text).not.toContain(secret);
    expect((await api('GET', '/idp-connections')).text).not.toContain(secret);
    const audit = await auditOf(`idp_connection:${id}`);
    expect(audit).toContain('idp_connection.update');
    expect(audit).not.toContain(secret);
    // the audit log names the secret as changed; a value under a secret's name is never kept
    expect(audit).toContain('"changed":["name","claimMapping","requireMfa","clientSecret"]');
    expect(audit).not.toContain('"clientSecret":');
    const [row] = await t.dataSource.query(`SELECT client_secret_sealed FROM idp_connection WHERE id = $1`, [id]);
    expect(Buffer.from(row.client_secret_sealed).toString('latin1')).not.toContain(secret);

    // null removes the secret (a public client).
    expect((await api('PATCH', `/idp-connections/${id}`, { clientSecret: null })).body.hasClientSecret).toBe(false);
  });

  it('refuses what would break the connection or is malformed, with a reason', async () => {
    const created = await api('POST', '/idp-connections', { name: 'entra', kind: 'entra', issuer: 'https://login.example/t/v2.0', clientId: 'e' });
    const id = created.body.id;
    for (const body of [{ issuer: 'https://evil.example' }, { clientId: 'other' }, { kind: 'oidc' }, { requireMfa: 'yes' }, { name: 'has space' }]) {
      const res = await api('PATCH', `/idp-connections/${id}`, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
    const badMap = await api('PATCH', `/idp-connections/${id}`, { claimMapping: { email: 'a b' } });
    expect([badMap.status, badMap.body.reason]).toEqual([400, 'invalid_claim_mapping']);
    const nested = await api('PATCH', `/idp-connections/${id}`, { claimMapping: { email: { $ne: 1 } } });
    expect([nested.status, nested.body.reason]).toEqual([400, 'invalid_claim_mapping']);
    const taken = await api('PATCH', `/idp-connections/${id}`, { name: 'okta-main' });
    expect([taken.status, taken.body.reason]).toEqual([409, 'idp_connection_exists']);
    const elsewhere = await call(t.url, 'PATCH', `/v1/admin/orgs/globex/idp-connections/${id}`, { ...admin(), body: { requireMfa: true } });
    expect([elsewhere.status, elsewhere.body.reason]).toEqual([404, 'idp_connection_not_found']);
    expect((await call(t.url, 'PATCH', `/v1/admin/orgs/acme/idp-connections/${id}`, { body: { requireMfa: true } })).status).toBe(401);
  });

  it('updates a DS client in place (name, webhook URL) and refuses bad URLs', async () => {
    const created = await api('POST', '/ds-clients', { name: 'chat' });
    const res = await api('PATCH', `/ds-clients/${created.body.id}`, { name: 'chat-eu', webhookUrl: 'https://chat.example/hook' });
    expect(res.body).toMatchObject({ id: created.body.id, name: 'chat-eu', webhookUrl: 'https://chat.example/hook', prefix: created.body.prefix });
    expect((await api('PATCH', `/ds-clients/${created.body.id}`, { webhookUrl: null })).body.webhookUrl).toBeNull();
    for (const body of [{ webhookUrl: 'ftp://x' }, { webhookUrl: 'not a url' }, { name: '' }, { token: 'x' }]) {
      expect((await api('PATCH', `/ds-clients/${created.body.id}`, body)).status).toBe(400);
    }
    // The client's token still works: nothing about it changed.
    expect((await call(t.url, 'GET', '/v1/ds/removals?after=0', { token: created.body.token })).status).toBe(200);
  });

  it('rotates a DS token and webhook secret: the old ones work during the overlap and are refused after', async () => {
    const created = await api('POST', '/ds-clients', { name: 'rotating', webhookUrl: 'https://chat.example/hook' });
    const old = created.body.token as string;
    const oldSecret = created.body.webhookSecret as string;
    const rotated = await api('POST', `/ds-clients/${created.body.id}/rotate`, { overlapSeconds: 3 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).toMatch(/^mlsid_ds_/);
    expect(rotated.body.webhookSecret).toMatch(/^mlsid_whsec_/);
    expect([rotated.body.token, rotated.body.webhookSecret]).not.toContain(old);
    expect(rotated.body.webhookSecret).not.toBe(oldSecret);
    const feed = (token: string) => call(t.url, 'GET', '/v1/ds/removals?after=0', { token });
    expect((await feed(old)).status).toBe(200);
    expect((await feed(rotated.body.token)).status).toBe(200);

    // Webhooks carry a signature for each live secret during the overlap.
    const credentials = t.app.get(CredentialsService);
    const client = async () => (await credentials.findDsClient(created.body.id))!;
    expect(credentials.webhookSecrets(await client())).toEqual([rotated.body.webhookSecret, oldSecret]);

    const list = await api('GET', '/ds-clients');
    for (const secret of [old, oldSecret, rotated.body.token, rotated.body.webhookSecret]) {
      expect(list.text).not.toContain(secret);
      expect(await auditOf(`ds_client:${created.body.id}`)).not.toContain(secret);
    }

    await until(async () => (await feed(old)).status === 401, 15_000, 'the old DS token to expire');
    expect((await feed(rotated.body.token)).status).toBe(200);
    expect(credentials.webhookSecrets(await client())).toEqual([rotated.body.webhookSecret]);
  });

  it('rotates with no overlap (the old token stops at once) and refuses revoked clients', async () => {
    const created = await api('POST', '/ds-clients', { name: 'leaked' });
    const rotated = await api('POST', `/ds-clients/${created.body.id}/rotate`, { overlapSeconds: 0, webhookSecret: false });
    expect(rotated.body.webhookSecret).toBeUndefined();
    expect((await call(t.url, 'GET', '/v1/ds/removals?after=0', { token: created.body.token })).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/ds/removals?after=0', { token: rotated.body.token })).status).toBe(200);
    await api('DELETE', `/ds-clients/${created.body.id}`);
    const refused = await api('POST', `/ds-clients/${created.body.id}/rotate`, {});
    expect([refused.status, refused.body.reason]).toEqual([409, 'credential_revoked']);
    for (const body of [{ overlapSeconds: -1 }, { overlapSeconds: 'x' }, { overlapSeconds: 31 * 86_400 }, { token: 'yes' }]) {
      expect((await api('POST', `/ds-clients/${created.body.id}/rotate`, body)).status).toBe(400);
    }
    const elsewhere = await call(t.url, 'POST', `/v1/admin/orgs/globex/ds-clients/${created.body.id}/rotate`, { ...admin(), body: {} });
    expect([elsewhere.status, elsewhere.body.reason]).toEqual([404, 'ds_client_not_found']);
  });

  it('revoking a client during the overlap refuses the old and the new token at once', async () => {
    const created = await api('POST', '/ds-clients', { name: 'revoked-mid-overlap' });
    const feed = (token: string) => call(t.url, 'GET', '/v1/ds/removals?after=0', { token });
    const rotated = await api('POST', `/ds-clients/${created.body.id}/rotate`, { overlapSeconds: 3600 });
    // Both used (and so resolved, on a replica that caches) before the revocation.
    expect([(await feed(created.body.token)).status, (await feed(rotated.body.token)).status]).toEqual([200, 200]);
    expect((await api('DELETE', `/ds-clients/${created.body.id}`)).status).toBe(200);
    expect([(await feed(created.body.token)).status, (await feed(rotated.body.token)).status]).toEqual([401, 401]);
  });

  it('rotates a SCIM token with an overlap (default one day)', async () => {
    const created = await api('POST', '/scim-tokens', { description: 'okta' });
    const users = (token: string) => call(t.url, 'GET', '/scim/v2/acme/Users', { token });
    const rotated = await api('POST', `/scim-tokens/${created.body.id}/rotate`, {});
    expect([rotated.status, rotated.body.overlapSeconds]).toEqual([200, 86_400]);
    expect((await users(created.body.token)).status).toBe(200);
    expect((await users(rotated.body.token)).status).toBe(200);
    const [row] = await t.dataSource.query(`SELECT previous_token_expires_at - now() > interval '23 hours' AS long FROM scim_token WHERE id = $1`, [
      created.body.id,
    ]);
    expect(row.long).toBe(true);
    // A second rotation ends the first one's overlap: only one previous token at a time.
    const again = await api('POST', `/scim-tokens/${created.body.id}/rotate`, { overlapSeconds: 60 });
    expect((await users(created.body.token)).status).toBe(401);
    expect((await users(rotated.body.token)).status).toBe(200);
    expect((await users(again.body.token)).status).toBe(200);
    expect((await api('GET', '/scim-tokens')).text).not.toContain(again.body.token);
  });

  it('documents the management routes in OpenAPI', async () => {
    const doc = await call(t.url, 'GET', '/docs/openapi.json');
    expect(doc.status).toBe(200);
    for (const [path, method] of [
      ['/v1/admin/orgs/{org}/accounts', 'get'],
      ['/v1/admin/orgs/{org}/accounts/{id}/suspend', 'post'],
      ['/v1/admin/orgs/{org}/devices/{id}/lost', 'post'],
      ['/v1/admin/orgs/{org}/devices/{id}/groups', 'get'],
      ['/v1/admin/orgs/{org}/idp-connections/{id}', 'patch'],
      ['/v1/admin/orgs/{org}/ds-clients/{id}/rotate', 'post'],
      ['/v1/admin/orgs/{org}/reports/certificate-expiry', 'get'],
    ]) {
      expect([path, method, typeof doc.body.paths[path]?.[method]?.summary]).toEqual([path, method, 'string']);
    }
    expect(doc.body.paths['/v1/admin/orgs/{org}/devices'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'platform', 'accountId', 'limit', 'cursor']),
    );
  });
});
