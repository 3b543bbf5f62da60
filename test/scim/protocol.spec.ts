import { insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { CORE_GROUP, CORE_USER, createScimOrg, ENTERPRISE_USER, PATCH_OP, type ScimOrg } from './scim-org.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const DEVICES = 'urn:ietf:params:scim:schemas:extension:mls-identity:2.0:Devices';

/** RFC 7644 mechanics: meta and ETags, paging, sorting, attribute selection, search, Bulk, discovery, org isolation. */
describe('SCIM protocol', () => {
  let t: TestApp;
  let a: ScimOrg;
  let b: ScimOrg;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createScimOrg(t, 'proto-a');
    b = await createScimOrg(t, 'proto-b');
  });
  afterAll(async () => {
    await t.close();
  });

  it('meta, Location and ETag; If-Match guards writes; If-None-Match answers 304', async () => {
    const created = await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'meta@a.example', externalId: 'ext-1' } });
    expect(created.status).toBe(201);
    const { id, meta } = created.body;
    expect(meta).toEqual({
      resourceType: 'User',
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastModified: meta.created,
      location: `${a.base}/Users/${id}`,
      version: 'W/"1"',
    });
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body.externalId).toBe('ext-1');

    const got = await a.scim('GET', `/Users/${id}`);
    expect(got.headers.get('etag')).toBe('W/"1"');
    expect((await a.scim('GET', `/Users/${id}`, { headers: { 'if-none-match': 'W/"1"' } })).status).toBe(304);

    const put = await a.scim('PUT', `/Users/${id}`, {
      body: { schemas: [CORE_USER], userName: 'meta@a.example', displayName: 'M' },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('W/"2"');
    expect(put.body.externalId).toBe('ext-1');
    expect(Date.parse(put.body.meta.lastModified)).toBeGreaterThanOrEqual(Date.parse(put.body.meta.created));
    const stale = await a.scim('PUT', `/Users/${id}`, {
      body: { schemas: [CORE_USER], userName: 'meta@a.example', displayName: 'N' },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await a.scim('GET', `/Users/${id}`)).body.displayName).toBe('M');
    const withAttributes = await a.scim('PATCH', `/Users/${id}?attributes=displayName`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'P' }] },
      headers: { 'if-match': '"2"' },
    });
    expect(withAttributes.status).toBe(200);
    expect(withAttributes.body).toEqual({ schemas: [CORE_USER], id, displayName: 'P' });
    expect(withAttributes.headers.get('etag')).toBe('W/"3"');
  });

  it('userName is unique per org case-insensitively (409 uniqueness), not across orgs', async () => {
    expect((await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'Dup@A.example' } })).status).toBe(201);
    const dup = await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'dup@a.EXAMPLE' } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const other = (await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'other@a.example' } })).body.id;
    const rename = await a.scim('PATCH', `/Users/${other}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'userName', value: 'DUP@a.example' }] },
    });
    expect(rename.status).toBe(409);
    expect((await b.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'dup@a.example' } })).status).toBe(201);
  });

  it('lists with filter, paging, sorting and attribute selection, by GET and POST /.search', async () => {
    for (const n of ['carol', 'alice', 'bob', 'dave', 'erin']) {
      await a.scim('POST', '/Users', {
        body: {
          schemas: [CORE_USER, ENTERPRISE_USER],
          userName: `${n}@list.example`,
          title: n === 'bob' ? 'Boss' : 'Staff',
          [ENTERPRISE_USER]: { department: 'List' },
        },
      });
    }
    const q = encodeURIComponent(`userName ew "@list.example" and ${ENTERPRISE_USER}:department eq "list"`);
    const page = await a.scim('GET', `/Users?filter=${q}&sortBy=userName&sortOrder=descending&startIndex=2&count=2&attributes=userName`);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 5,
      startIndex: 2,
      itemsPerPage: 2,
      Resources: [
        { schemas: [CORE_USER], id: expect.any(String), userName: 'dave@list.example' },
        { schemas: [CORE_USER], id: expect.any(String), userName: 'carol@list.example' },
      ],
    });
    const countOnly = await a.scim('GET', `/Users?filter=${q}&count=0`);
    expect(countOnly.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const search = await a.scim('POST', '/Users/.search', {
      body: { schemas: [SEARCH], filter: 'title eq "boss"', excludedAttributes: ['title', 'meta'] },
    });
    expect(search.status).toBe(200);
    expect(search.body.Resources).toHaveLength(1);
    expect(search.body.Resources[0].userName).toBe('bob@list.example');
    expect(search.body.Resources[0].title).toBeUndefined();
    expect(search.body.Resources[0].meta).toBeUndefined();
  });

  it('POST /.search at the root spans Users and Groups', async () => {
    const u = (await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'root-search@a.example' } })).body.id;
    const g = (await a.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], displayName: 'Root Search', members: [{ value: u }] } })).body.id;
    const byId = await a.scim('POST', '/.search', { body: { schemas: [SEARCH], filter: `id eq "${u}" or id eq "${g}"` } });
    expect(byId.status).toBe(200);
    expect(byId.body.totalResults).toBe(2);
    expect(byId.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType)).toEqual(['User', 'Group']);
    const members = await a.scim('POST', '/.search', { body: { schemas: [SEARCH], filter: `members.value eq "${u}"` } });
    expect(members.body.Resources.map((r: { id: string }) => r.id)).toEqual([g]);
    const groupsOfUser = await a.scim('GET', `/Users?filter=${encodeURIComponent(`groups.value eq "${g}"`)}`);
    expect(groupsOfUser.body.Resources.map((r: { id: string }) => r.id)).toEqual([u]);
  });

  it('shows the read-only devices extension with certificate status', async () => {
    const id = (await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'devices@a.example' } })).body.id;
    const none = await a.scim('GET', `/Users/${id}`);
    expect(none.body.schemas).toEqual([CORE_USER]);
    const d = await insertDevice(t.dataSource, a.orgId, id, 1);
    const res = await a.scim('GET', `/Users/${id}`);
    expect(res.body.schemas).toEqual([CORE_USER, DEVICES]);
    expect(res.body[DEVICES]).toEqual({ devices: [{ id: d.deviceId, name: 'phone', platform: 'ios', status: 'active', certificateStatus: 'good' }] });
    expect((await a.scim('GET', `/Users/${id}?excludedAttributes=${encodeURIComponent(`${DEVICES}:devices`)}`)).body[DEVICES]).toBeUndefined();
  });

  it('Bulk: bulkId references, failOnErrors, bounded size', async () => {
    const res = await a.scim('POST', '/Bulk', {
      body: {
        schemas: [BULK],
        Operations: [
          // Refers forward to a user created later in the same request.
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'g1',
            data: { schemas: [CORE_GROUP], displayName: 'Bulk Group', members: [{ value: 'bulkId:u1' }] },
          },
          { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [CORE_USER], userName: 'bulk1@a.example' } },
          { method: 'POST', path: '/Users', bulkId: 'u2', data: { schemas: [CORE_USER], userName: 'bulk1@A.example' } },
          {
            method: 'PATCH',
            path: '/Users/bulkId:u1',
            data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Bulk One' }] },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    const ops = res.body.Operations as {
      method: string;
      bulkId?: string;
      status: string;
      location?: string;
      version?: string;
      response?: { scimType?: string };
    }[];
    expect(ops.map((o) => [o.method, o.bulkId, o.status])).toEqual([
      ['POST', 'g1', '201'],
      ['POST', 'u1', '201'],
      ['POST', 'u2', '409'],
      ['PATCH', undefined, '200'],
    ]);
    expect(ops[2].response?.scimType).toBe('uniqueness');
    const userId = ops[1].location!.split('/').pop();
    const group = await a.scim('GET', `/Groups/${ops[0].location!.split('/').pop()}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([userId]);
    expect((await a.scim('GET', `/Users/${userId}`)).body.displayName).toBe('Bulk One');

    const stop = await a.scim('POST', '/Bulk', {
      body: {
        schemas: [BULK],
        failOnErrors: 1,
        Operations: [
          { method: 'DELETE', path: '/Users/00000000-0000-4000-8000-000000000000' },
          { method: 'POST', path: '/Users', bulkId: 'never', data: { schemas: [CORE_USER], userName: 'never@a.example' } },
        ],
      },
    });
    expect(stop.body.Operations.map((o: { status: string }) => o.status)).toEqual(['404']);
    expect((await a.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "never@a.example"')}`)).body.totalResults).toBe(0);

    const cycle = await a.scim('POST', '/Bulk', {
      body: {
        schemas: [BULK],
        Operations: [
          { method: 'POST', path: '/Groups', bulkId: 'x', data: { schemas: [CORE_GROUP], displayName: 'X', members: [{ value: 'bulkId:y' }] } },
          { method: 'POST', path: '/Groups', bulkId: 'y', data: { schemas: [CORE_GROUP], displayName: 'Y', members: [{ value: 'bulkId:x' }] } },
        ],
      },
    });
    expect(cycle.body.Operations.map((o: { status: string }) => o.status)).toEqual(['409', '409']);

    const tooMany = await a.scim('POST', '/Bulk', {
      body: { schemas: [BULK], Operations: Array.from({ length: 101 }, (_, i) => ({ method: 'DELETE', path: `/Users/x${i}` })) },
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('discovery documents with absolute locations; /Me is 501', async () => {
    const spc = await a.scim('GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(spc.body).toMatchObject({ patch: { supported: true }, bulk: { supported: true, maxOperations: 100 }, etag: { supported: true } });
    expect(spc.body.meta.location).toBe(`${a.base}/ServiceProviderConfig`);
    const types = await a.scim('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
    expect((await a.scim('GET', '/ResourceTypes/User')).body.meta.location).toBe(`${a.base}/ResourceTypes/User`);
    const schemas = await a.scim('GET', '/Schemas');
    expect(schemas.body.totalResults).toBe(4);
    const devices = await a.scim('GET', `/Schemas/${DEVICES}`);
    expect(devices.body.id).toBe(DEVICES);
    expect((await a.scim('GET', '/Schemas/urn:nope')).status).toBe(404);
    expect((await a.scim('GET', '/Schemas?filter=id%20pr')).status).toBe(403);
    const me = await a.scim('GET', '/Me');
    expect(me.status).toBe(501);
    expect(me.body).toMatchObject({ status: '501' });
  });

  it("another org's token is refused (401) and never sees data", async () => {
    const id = (await a.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'private@a.example' } })).body.id;
    for (const path of ['/Users', `/Users/${id}`, '/Groups', '/ServiceProviderConfig']) {
      const res = await fetch(`${a.base}${path}`, { headers: { authorization: `Bearer ${b.token}` } });
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = await res.json();
      expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    }
    const del = await fetch(`${a.base}/Users/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${b.token}` } });
    expect(del.status).toBe(401);
    // Under its own org, B does not find A's user either.
    expect((await b.scim('GET', `/Users/${id}`)).status).toBe(404);
    expect((await b.scim('DELETE', `/Users/${id}`)).status).toBe(404);
    expect((await b.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "private@a.example"')}`)).body.totalResults).toBe(0);
    expect((await a.scim('GET', `/Users/${id}`)).status).toBe(200);
    const none = await fetch(`${a.base}/Users`);
    expect(none.status).toBe(401);
  });
});
