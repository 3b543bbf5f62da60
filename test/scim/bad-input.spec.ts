import { insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { deviceStates } from './outbox-probe.js';
import { CORE_GROUP, CORE_USER, createScimOrg, PATCH_OP, type ScimOrg } from './scim-org.js';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Bad input is a precise SCIM 4xx (RFC 7644 §3.12), never a 500 and never a partial change. */
describe('SCIM bad input', () => {
  let t: TestApp;
  let org: ScimOrg;
  let userId: string;
  let groupId: string;

  async function snapshot() {
    const accounts = await t.dataSource.query('SELECT id, user_name, resource, version, active FROM account WHERE org_id = $1 ORDER BY id', [
      org.orgId,
    ]);
    const groups = await t.dataSource.query('SELECT id, display_name, resource, version FROM scim_group WHERE org_id = $1 ORDER BY id', [org.orgId]);
    const members = await t.dataSource.query('SELECT group_id, value FROM scim_group_member WHERE org_id = $1 ORDER BY group_id, value', [org.orgId]);
    const outbox = await t.dataSource.query('SELECT count(*)::int AS n FROM outbox WHERE org_id = $1', [org.orgId]);
    return { accounts, groups, members, outbox };
  }

  async function expectScimError(res: { status: number; headers: Headers; body: any }, status: number, scimType?: string) {
    expect({ status: res.status, scimType: res.body?.scimType }).toEqual({ status, scimType });
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas).toEqual([ERROR]);
    expect(res.body.status).toBe(String(status));
    expect(typeof res.body.detail).toBe('string');
  }

  beforeAll(async () => {
    t = await createTestApp();
    org = await createScimOrg(t, 'bad-input');
    userId = (await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'victim@bad.example', displayName: 'Victim' } })).body.id;
    groupId = (await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'G', members: [{ value: userId }] } })).body.id;
    await insertDevice(t.dataSource, org.orgId, userId, 1);
  });
  afterAll(async () => {
    await t.close();
  });

  it('malformed JSON, wrong content type, oversize body', async () => {
    const before = await snapshot();
    const malformed = await org.scim('POST', '/Users', {
      raw: '{"userName": "x", "active": tre}',
      headers: { 'content-type': 'application/scim+json' },
    });
    await expectScimError(malformed, 400, 'invalidSyntax');
    const truncated = await org.scim('PATCH', `/Users/${userId}`, { raw: '{"schemas": [', headers: { 'content-type': 'application/json' } });
    await expectScimError(truncated, 400, 'invalidSyntax');
    const text = await org.scim('POST', '/Users', { raw: 'userName=x', headers: { 'content-type': 'text/plain' } });
    await expectScimError(text, 415);
    const form = await org.scim('POST', '/Users', { raw: 'userName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expectScimError(form, 415);
    const huge = await org.scim('POST', '/Users', {
      raw: JSON.stringify({ schemas: [CORE_USER], userName: 'big', displayName: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/scim+json' },
    });
    await expectScimError(huge, 413);
    // Beyond the service-wide body limit the body parser refuses it; still a SCIM error.
    const huger = await org.scim('POST', '/Users', {
      raw: JSON.stringify({ schemas: [CORE_USER], userName: 'big', displayName: 'x'.repeat(t.config.bodyLimit + 1) }),
      headers: { 'content-type': 'application/scim+json' },
    });
    await expectScimError(huger, 413);
    const notObject = await org.scim('POST', '/Users', { body: ['userName'] });
    await expectScimError(notObject, 400, 'invalidSyntax');
    expect(await snapshot()).toEqual(before);
  });

  it('unknown schema URNs, missing or mistyped attributes', async () => {
    const before = await snapshot();
    await expectScimError(
      await org.scim('POST', '/Users', { body: { schemas: [CORE_USER, 'urn:example:unknown:2.0:User'], userName: 'u1' } }),
      400,
      'invalidValue',
    );
    await expectScimError(
      await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'u2', 'urn:example:unknown:2.0:User:x': 1 } }),
      400,
      'invalidValue',
    );
    await expectScimError(await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], displayName: 'no user name' } }), 400, 'invalidValue');
    await expectScimError(await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'u3', active: 'maybe' } }), 400, 'invalidValue');
    await expectScimError(await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'nul\u0000byte' } }), 400, 'invalidValue');
    await expectScimError(await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP] } }), 400, 'invalidValue');
    expect(await snapshot()).toEqual(before);
  });

  it('deep nesting in bodies and filters', async () => {
    const before = await snapshot();
    const json = { 'content-type': 'application/scim+json' };
    const deepArray = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
    const body = await org.scim('POST', '/Users', {
      raw: `{"schemas":["${CORE_USER}"],"userName":"deep","displayName":${deepArray}}`,
      headers: json,
    });
    await expectScimError(body, 400, 'invalidValue');
    const deepObject = `${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}`;
    const patchDeep = await org.scim('PATCH', `/Users/${userId}`, {
      raw: `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"displayName","value":${deepObject}}]}`,
      headers: json,
    });
    await expectScimError(patchDeep, 400, 'invalidValue');
    const ignoredDeep = await org.scim('POST', '/Users', {
      raw: `{"schemas":["${CORE_USER}"],"userName":"deep2","unknownThing":${deepObject},"nickName":${deepArray}}`,
      headers: json,
    });
    await expectScimError(ignoredDeep, 400, 'invalidValue');
    const filter = `${'('.repeat(200)}userName eq "x"${')'.repeat(200)}`;
    await expectScimError(await org.scim('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
    const notFilter = `${'not ('.repeat(100)}userName eq "x"${')'.repeat(100)}`;
    await expectScimError(await org.scim('GET', `/Users?filter=${encodeURIComponent(notFilter)}`), 400, 'invalidFilter');
    expect(await snapshot()).toEqual(before);
  });

  it('filter injection attempts select nothing or are invalidFilter, and never reach SQL as text', async () => {
    const invalid = [
      'userName eq "x" or 1 eq 1',
      'userName eq "x") OR (1=1',
      'password eq "x"',
      'userName xx "x"',
      'userName eq "x" ;DROP TABLE account',
    ];
    for (const f of invalid) {
      await expectScimError(await org.scim('GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
    }
    const literal = [
      'userName eq "x\\" or \\"1\\" eq \\"1"',
      `userName eq "x' OR '1'='1"`,
      "userName eq 'x'",
      'userName eq "\'; DROP TABLE account; --"',
      'userName co "%"',
      'userName sw "_"',
      'displayName eq "日本語\' OR 1=1 --"',
      'userName eq "\\u0076ictim@bad.example\\u0027"',
    ];
    for (const f of literal) {
      const res = await org.scim('GET', `/Users?filter=${encodeURIComponent(f)}`);
      expect([f, res.status, res.body.totalResults]).toEqual([f, 200, 0]);
    }
    const unicode = await org.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "\\u0076ictim@bad.example"')}`);
    expect(unicode.body.totalResults).toBe(1);
    const search = await org.scim('POST', '/Users/.search', {
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "x" or 1 eq 1' },
    });
    await expectScimError(search, 400, 'invalidFilter');
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM account WHERE org_id = $1', [org.orgId]);
    expect(n).toBe(1);
  });

  it('PATCH on immutable and read-only attributes, and a bad operation among good ones, change nothing', async () => {
    const before = await snapshot();
    const patch = (id: string, resource: string, Operations: unknown[]) =>
      org.scim('PATCH', `/${resource}/${id}`, { body: { schemas: [PATCH_OP], Operations } });
    await expectScimError(await patch(userId, 'Users', [{ op: 'replace', path: 'id', value: 'mine' }]), 400, 'mutability');
    await expectScimError(await patch(userId, 'Users', [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }]), 400, 'mutability');
    await expectScimError(await patch(userId, 'Users', [{ op: 'add', path: 'groups', value: [{ value: groupId }] }]), 400, 'mutability');
    await expectScimError(
      await patch(userId, 'Users', [
        { op: 'add', path: 'urn:ietf:params:scim:schemas:extension:mls-identity:2.0:Devices:devices', value: [{ id: 'x' }] },
      ]),
      400,
      'mutability',
    );
    await expectScimError(
      await patch(groupId, 'Groups', [{ op: 'replace', path: `members[value eq "${userId}"].value`, value: 'other' }]),
      400,
      'mutability',
    );
    // The first operation alone would deactivate (and revoke): the second fails, so nothing happens.
    await expectScimError(
      await patch(userId, 'Users', [
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'displayName', value: 'Changed' },
        { op: 'replace', path: 'nosuch.attribute', value: 1 },
      ]),
      400,
      'invalidPath',
    );
    await expectScimError(await patch(userId, 'Users', [{ op: 'remove', path: 'userName' }]), 400, 'invalidValue');
    await expectScimError(await patch(userId, 'Users', [{ op: 'explode', path: 'userName' }]), 400, 'invalidSyntax');
    await expectScimError(
      await org.scim('PATCH', `/Users/${userId}`, { body: { Operations: [{ op: 'replace', path: 'active', value: false }] } }),
      400,
      'invalidSyntax',
    );
    expect(await snapshot()).toEqual(before);
    expect((await deviceStates(t.dataSource, userId)).map((d) => d.device)).toEqual(['active']);
  });

  it('Bulk: a malformed %-escape in one operation path fails that operation only', async () => {
    const res = await org.scim('POST', '/Bulk', {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          { method: 'POST', bulkId: 'good', path: '/Users', data: { schemas: [CORE_USER], userName: 'bulk-before-bad@bad.example' } },
          { method: 'DELETE', path: '/Users/%E0%A4%A' },
          { method: 'POST', bulkId: 'after', path: '/Users', data: { schemas: [CORE_USER], userName: 'bulk-after-bad@bad.example' } },
        ],
      },
    });
    expect(res.status).toBe(200);
    const [first, bad, after] = res.body.Operations;
    expect(first.status).toBe('201');
    expect(bad).toMatchObject({ method: 'DELETE', status: '400', response: { scimType: 'invalidPath', status: '400' } });
    expect(after.status).toBe('201');
    for (const userName of ['bulk-before-bad@bad.example', 'bulk-after-bad@bad.example']) {
      const found = await org.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(found.body.totalResults).toBe(1);
    }
  });

  it('unknown ids, stale If-Match and unknown endpoints', async () => {
    const before = await snapshot();
    await expectScimError(await org.scim('GET', '/Users/not-a-uuid'), 404);
    await expectScimError(await org.scim('GET', '/Users/00000000-0000-4000-8000-000000000000'), 404);
    await expectScimError(await org.scim('GET', `/Groups/${userId}`), 404);
    await expectScimError(
      await org.scim('PATCH', `/Users/${userId}`, {
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
        headers: { 'if-match': 'W/"999"' },
      }),
      412,
    );
    await expectScimError(await org.scim('DELETE', `/Users/${userId}`, { headers: { 'if-match': 'W/"999"' } }), 412);
    await expectScimError(await org.scim('GET', '/Nothing/here'), 404);
    await expectScimError(await org.scim('GET', '/Users?startIndex=abc'), 400, 'invalidValue');
    await expectScimError(await org.scim('GET', '/Users?sortBy=password'), 400, 'invalidValue');
    await expectScimError(await org.scim('GET', '/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
    await expectScimError(await org.scim('GET', '/Users?filter=a&filter=b'), 400, 'invalidValue');
    expect(await snapshot()).toEqual(before);
    expect((await deviceStates(t.dataSource, userId)).map((d) => d.device)).toEqual(['active']);
  });
});
