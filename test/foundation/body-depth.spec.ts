import { call, createTestApp, type TestApp } from '../support/test-app.js';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** JSON.parse handles any depth, but class-transformer and other recursive walks overflow the stack. */
const DEPTH = 20_000;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const deepArray = `${'['.repeat(DEPTH)}1${']'.repeat(DEPTH)}`;

describe('deeply nested JSON bodies', () => {
  let t: TestApp;
  let scimToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'acme', name: 'Acme' } });
    scimToken = (await call(t.url, 'POST', '/v1/admin/orgs/acme/scim-tokens', { token: t.adminToken, body: {} })).body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  function expectTooDeep(res: { status: number; headers: Headers; body: any }) {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.reason).toBe('too_deep');
  }

  it('are refused with 400 too_deep on the anonymous enrollment route', async () => {
    for (const raw of [`{"csr":${deepObject}}`, deepArray]) {
      expectTooDeep(await call(t.url, 'POST', '/v1/orgs/acme/enrollments', { raw, headers: { 'content-type': 'application/json' } }));
    }
  });

  it('are refused with 400 too_deep on an admin DTO route, which still takes a normal body', async () => {
    const deep = await call(t.url, 'POST', '/v1/admin/orgs', {
      token: t.adminToken,
      raw: `{"slug":"deep","name":${deepObject}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectTooDeep(deep);
    const normal = await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug: 'shallow', name: 'Shallow' } });
    expect(normal.status).toBe(201);
    const orgs = await call(t.url, 'GET', '/v1/admin/orgs', { token: t.adminToken });
    expect(orgs.text).toContain('shallow');
    expect(orgs.text).not.toContain('"deep"');
  });

  it('are a SCIM error on SCIM routes, Bulk included, and nothing is written', async () => {
    const scim = (path: string, raw: string) =>
      call(`${t.url}/scim/v2/acme`, 'POST', path, { token: scimToken, raw, headers: { 'content-type': 'application/scim+json' } });
    const user = await scim('/Users', `{"schemas":["${CORE_USER}"],"userName":"deep@acme.example","displayName":${deepArray}}`);
    const bulk = await scim(
      '/Bulk',
      `{"schemas":["${BULK}"],"Operations":[` +
        `{"method":"POST","bulkId":"u","path":"/Users","data":{"schemas":["${CORE_USER}"],"userName":"bulk@acme.example"}},` +
        `{"method":"POST","bulkId":"g","path":"/Groups","data":{"displayName":"G","members":[{"value":${deepObject}}]}}]}`,
    );
    for (const res of [user, bulk]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue' });
    }
    const [{ n }] = await t.dataSource.query("SELECT count(*)::int AS n FROM account WHERE user_name IN ('deep@acme.example', 'bulk@acme.example')");
    expect(n).toBe(0);
    // Real SCIM payloads nest a handful of levels and are untouched by the bound.
    const normal = await scim(
      '/Users',
      JSON.stringify({
        schemas: [CORE_USER],
        userName: 'normal@acme.example',
        name: { givenName: 'N' },
        emails: [{ value: 'normal@acme.example', primary: true }],
      }),
    );
    expect(normal.status).toBe(201);
  });
});
