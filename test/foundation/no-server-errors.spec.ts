import { DiscoveryModule } from '@nestjs/core';
import { routeTable } from '../support/route-table.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';

/**
 * "Bad input is a 4xx with a reason, never a 500": every registered route, called by a
 * caller it accepts, with malformed ids and bodies of the wrong shape, answers below 500.
 */
const PARAM_VALUES = ['not-a-uuid', '00000000-0000-4000-8000-000000000000', 'x'.repeat(300), '%E2%82%AC%00', '..%2F..%2Fetc'];
const BODIES: unknown[] = [
  {},
  [],
  'text',
  42,
  null,
  { settings: 'x', slug: 1, name: [], csr: {}, chains: [[1, 2]], fingerprints: 'ab', level: {}, reason: 7 },
  { Operations: [{ op: 'explode', path: 5 }], schemas: 'nope', userName: { a: 1 } },
  JSON.parse('{"a":'.repeat(200) + '1' + '}'.repeat(200)),
];

describe('no route answers 500 to malformed input', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ imports: [DiscoveryModule] });
    await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'acme', name: 'Acme' } });
    tokens.admin = t.adminToken;
    tokens.scim = (await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken, body: {} })).body.token;
    tokens.ds = (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token;
    const auditor = await call(t.url, 'POST', '/v1/admin/orgs/acme/auditor-tokens', { token: t.adminToken, body: { description: 'fuzz' } });
    tokens.auditor = auditor.body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends bodies of the wrong shape to every route about resources that exist', async () => {
    const user = await call(t.url, 'POST', '/scim/v2/acme/Users', {
      token: tokens.scim,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fuzz@acme.example' },
      headers: { 'content-type': 'application/scim+json' },
    });
    const group = await call(t.url, 'POST', '/scim/v2/acme/Groups', {
      token: tokens.scim,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'fuzzers' },
      headers: { 'content-type': 'application/scim+json' },
    });
    expect([user.status, group.status]).toEqual([201, 201]);
    const ids: Record<string, string> = {
      id: user.body.id,
      accountId: user.body.id,
      groupId: 'AAEC',
      sha: 'ab'.repeat(32),
      sourceId: '1',
      file: 'x.crl',
    };
    const failures: string[] = [];
    let authenticated = 0;
    for (const route of routeTable(t.app)) {
      const kind = ['admin', 'scim', 'ds', 'auditor'].find((k) => route.authKinds.includes(k));
      const token = kind ? tokens[kind] : undefined;
      const path = route.path
        .replace(/:org\b/g, 'acme')
        .replace(/:([A-Za-z]+)/g, (_, name: string) => (route.path.includes('Groups') && name === 'id' ? group.body.id : (ids[name] ?? 'x')));
      for (const body of route.method === 'GET' || route.method === 'DELETE' ? [undefined] : BODIES) {
        const res = await call(t.url, route.method, path, { token, body });
        if (res.status !== 401) authenticated += 1;
        if (res.status >= 500 && !(res.status === 501 && route.path.endsWith('/Me'))) {
          failures.push(`${route.method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 60)} → ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The inputs reached the handlers: most calls were past authentication, not refused at the door.
    expect(authenticated).toBeGreaterThan(200);
  }, 120_000);

  it('walks every route with bad ids and bodies', async () => {
    const failures: string[] = [];
    const routes = routeTable(t.app);
    expect(routes.length).toBeGreaterThan(60);
    for (const route of routes) {
      const kind = ['admin', 'scim', 'ds', 'auditor'].find((k) => route.authKinds.includes(k));
      const token = kind ? tokens[kind] : undefined;
      for (const value of PARAM_VALUES) {
        const path = route.path.replace(/:org\b/g, 'acme').replace(/:[A-Za-z]+/g, value);
        for (const body of route.method === 'GET' || route.method === 'DELETE' ? [undefined] : BODIES) {
          const res = await call(t.url, route.method, path, { token, body });
          // /Me answers 501 Not Implemented by design (RFC 7644 §3.11 lets a provider decline it).
          if (res.status >= 500 && !(res.status === 501 && route.path.endsWith('/Me')))
            failures.push(`${route.method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 60)} → ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
