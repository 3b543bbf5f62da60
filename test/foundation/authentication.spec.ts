import { Controller, Get, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Authenticated } from '../../apps/identity-service/src/common/access/index.js';
import { CurrentPrincipal } from '../../apps/identity-service/src/common/access/index.js';
import type { Principal } from '../../apps/identity-service/src/common/access/index.js';
import { routeTable } from '../support/route-table.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';

// Probe routes for the org-bound strategies, shaped like the SCIM and DS routes.
@Controller('probe/:org')
class ProbeController {
  @Get('scim')
  @Authenticated('scim')
  scim(@CurrentPrincipal() p: Principal) {
    return p;
  }

  @Get('ds')
  @Authenticated('ds')
  ds(@CurrentPrincipal() p: Principal) {
    return p;
  }
}

@Controller('forgotten')
class ForgottenController {
  /** Declares no authentication at all: the global guard must refuse it. */
  @Get()
  open() {
    return { leaked: true };
  }
}

@Module({ imports: [DiscoveryModule], controllers: [ProbeController, ForgottenController] })
class ProbeModule {}

function concrete(path: string): string {
  return path.replace(/:org\b/g, 'acme').replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
}

describe('authentication of every route', () => {
  let t: TestApp;
  let scimA: string;
  let dsA: string;

  beforeAll(async () => {
    t = await createTestApp({ imports: [ProbeModule] });
    for (const slug of ['acme', 'other']) {
      await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug, name: slug } });
    }
    scimA = (await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken, body: {} })).body.token;
    dsA = (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'd' } })).body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  it('every registered route declares its authentication or is deliberately public', () => {
    const routes = routeTable(t.app).filter((r) => !r.handler.startsWith('ForgottenController'));
    expect(routes.length).toBeGreaterThan(10);
    const undeclared = routes.filter((r) => !r.isPublic && r.authKinds.length === 0);
    expect(undeclared.map((r) => `${r.method} ${r.path} (${r.handler})`)).toEqual([]);
    const publicRoutes = routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`);
    expect(publicRoutes.sort()).toEqual([
      // the org's signed MLS profile disclosure: public configuration and public keys only
      'GET /.well-known/mls-identity/:org',
      // the admin console's page and assets hold no data: the admin API behind them is authenticated
      'GET /console',
      'GET /console/*path',
      'GET /console/assets/:name',
      'GET /health/live',
      'GET /health/ready',
      'GET /pki/:org/crl/:file',
      'GET /pki/:org/intermediates.pem',
      'GET /pki/:org/roots.pem',
      // Admin sign-in: leaving for the IdP, and its answer (bound by state, PKCE and the sign-in cookie);
      // the CLI login's code page, start and poll (the device code is the credential)
      'GET /v1/admin/cli-login',
      'GET /v1/admin/orgs/:org/sign-in',
      'GET /v1/admin/sign-in/callback',
      // Enrollment: authenticated by the ID token, the IdP's state/PKCE, or the enrollment secret.
      'GET /v1/enrollments/:id',
      // the person's browser: the device's code, then the IdP sign-in, then the confirmation form
      'GET /v1/enrollments/activate',
      'GET /v1/enrollments/callback',
      // public key material clients list in external_senders before they can authenticate
      'GET /v1/orgs/:org/mls/external-senders',
      'POST /v1/admin/cli-logins/token',
      'POST /v1/admin/orgs/:org/cli-logins',
      'POST /v1/enrollments/:id/poll',
      'POST /v1/enrollments/activate',
      'POST /v1/enrollments/callback',
      // the device's MLS-Device signature (any certificate of its key, even lapsed) and a bound ID token
      'POST /v1/orgs/:org/devices/:id/reauthenticate',
      'POST /v1/orgs/:org/enrollments',
    ]);
  });

  it('refuses every non-public route without a token, and with a wrong token', async () => {
    const routes = routeTable(t.app).filter((r) => !r.isPublic);
    for (const r of routes) {
      const none = await call(t.url, r.method, concrete(r.path));
      expect([r.path, none.status]).toEqual([r.path, 401]);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await call(t.url, r.method, concrete(r.path), { token: 'mlsid_scim_wrong' });
      expect([r.path, wrong.status]).toEqual([r.path, 401]);
    }
  });

  it('fails closed on a route that forgot to declare authentication', async () => {
    const res = await call(t.url, 'GET', '/forgotten', { token: t.adminToken });
    expect(res.status).toBe(401);
    expect(res.body.reason).toBe('authentication_required');
    expect(res.text).not.toContain('leaked');
  });

  it('resolves SCIM and DS tokens to their org and refuses them for another org', async () => {
    const scim = await call(t.url, 'GET', '/probe/acme/scim', { token: scimA });
    expect(scim.status).toBe(200);
    expect(scim.body).toMatchObject({ kind: 'scim', orgSlug: 'acme' });
    const foreign = await call(t.url, 'GET', '/probe/other/scim', { token: scimA });
    expect(foreign.status).toBe(401);
    expect(foreign.body.reason).toBe('token_not_for_org');
    expect((await call(t.url, 'GET', '/probe/acme/ds', { token: scimA })).status).toBe(401);
    const ds = await call(t.url, 'GET', '/probe/acme/ds', { token: dsA });
    expect(ds.body).toMatchObject({ kind: 'ds', orgSlug: 'acme' });
    expect((await call(t.url, 'GET', '/probe/other/ds', { token: dsA })).status).toBe(401);
    // Org-bound tokens are not admin tokens.
    expect((await call(t.url, 'GET', '/v1/admin/orgs', { token: scimA })).status).toBe(401);
    expect((await call(t.url, 'GET', '/v1/admin/orgs', { token: dsA })).status).toBe(401);
  });

  it('takes bearer tokens from the Authorization header only, never from the URL or the body', async () => {
    const cases = [
      { path: '/v1/admin/orgs', token: t.adminToken },
      { path: '/probe/acme/scim', token: scimA },
      { path: '/probe/acme/ds', token: dsA },
    ];
    for (const { path, token } of cases) {
      expect([path, (await call(t.url, 'GET', path, { token })).status]).toEqual([path, 200]);
      const inQuery = await call(t.url, 'GET', `${path}?access_token=${encodeURIComponent(token)}`);
      expect([path, inQuery.status]).toEqual([path, 401]);
      expect(inQuery.headers.get('www-authenticate')).toBe('Bearer');
    }
    // A form or JSON body member is refused the same way (passport-http-bearer reads it too).
    const inBody = await call(t.url, 'POST', '/v1/admin/orgs', { body: { slug: 'via-body', name: 'x', access_token: t.adminToken } });
    expect(inBody.status).toBe(401);
    const inForm = await call(t.url, 'POST', '/v1/admin/orgs', {
      raw: new URLSearchParams({ slug: 'via-form', name: 'x', access_token: t.adminToken }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(inForm.status).toBe(401);
    const listed = await call(t.url, 'GET', '/v1/admin/orgs', { token: t.adminToken });
    expect(listed.text).not.toMatch(/via-(body|form)/);
  });

  it('stops accepting a token once it is revoked, and records last use', async () => {
    const created = await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken, body: {} });
    expect((await call(t.url, 'GET', '/probe/acme/scim', { token: created.body.token })).status).toBe(200);
    const listed = await call(t.url, 'GET', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken });
    const row = listed.body.scimTokens.find((x: { id: string }) => x.id === created.body.id);
    expect(row.lastUsedAt).not.toBeNull();
    await call(t.url, 'DELETE', `/v1/admin/orgs/acme/scim-tokens/${created.body.id}`, { token: t.adminToken });
    expect((await call(t.url, 'GET', '/probe/acme/scim', { token: created.body.token })).status).toBe(401);
  });
});
