import { createTestApp, type TestApp } from '../support/test-app.js';
import { CORE_GROUP, CORE_USER, createScimOrg, ENTERPRISE_USER, PATCH_OP, type ScimOrg } from './scim-org.js';

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const q = (s: string) => encodeURIComponent(s);

/**
 * What provisioning clients send beyond the RFC's letter, as Microsoft Entra ID's does: attribute
 * names in any case, string booleans, unquoted filter values, value filters in `attributes`,
 * members as bare strings, attributes the schema does not know. These are the cases the SCIM
 * conformance collection (npm run test:conformance) exercises; this file keeps them covered by
 * the project's own requests, so the default suite needs nothing outside the repository.
 */
describe('SCIM interoperability', () => {
  let t: TestApp;
  let org: ScimOrg;

  beforeAll(async () => {
    t = await createTestApp();
    org = await createScimOrg(t, 'interop');
  });
  afterAll(async () => {
    await t.close();
  });

  it('discovery: Users first among resource types, PATCH supported, the User schema described', async () => {
    expect((await org.scim('GET', '/ResourceTypes')).body.Resources[0].endpoint).toBe('/Users');
    expect((await org.scim('GET', '/ServiceProviderConfig')).body.patch.supported).toBe(true);
    const schemas = (await org.scim('GET', '/Schemas')).body.Resources as { id: string; description: string }[];
    expect(schemas.find((s) => s.id === CORE_USER)?.description).toBe('User Account');
  });

  it('Users in a client dialect: any-case names, string booleans, unknown and null attributes, unquoted filters', async () => {
    const empty = await org.scim('GET', '/Users');
    expect(empty.body).toMatchObject({ schemas: [LIST], totalResults: 0 });

    const created = await org.scim('POST', '/Users', {
      body: {
        schemas: [CORE_USER],
        UserName: 'Tove.Lind@interop.example',
        Active: 'True',
        DisplayName: 'Tove Lind',
        name: { FamilyName: 'Lind', givenName: 'Tove' },
        emails: [
          { Primary: true, type: 'work', value: 'tove@corp.example' },
          { Primary: false, type: 'home', value: 'tove@home.example' },
        ],
        addresses: [{ country: 'Sweden', locality: null, region: null, type: 'work', primary: false }],
      },
    });
    expect(created.status).toBe(201);
    const tove = created.body.id as string;
    expect(created.body).toMatchObject({
      userName: 'Tove.Lind@interop.example',
      active: true,
      displayName: 'Tove Lind',
      name: { familyName: 'Lind', givenName: 'Tove' },
      emails: [
        { value: 'tove@corp.example', type: 'work', primary: true },
        { value: 'tove@home.example', type: 'home', primary: false },
      ],
      addresses: [{ country: 'Sweden', type: 'work', primary: false }],
    });
    const other = await org.scim('POST', '/Users', {
      body: {
        schemas: [CORE_USER, ENTERPRISE_USER],
        userName: 'ola@interop.example',
        active: true,
        name: { familyName: 'Berg' },
        emails: [{ type: 'work', value: 'ola@other.example' }],
      },
    });
    expect(other.status).toBe(201);
    const ola = other.body.id as string;

    const ids = async (filter: string) => (await org.scim('GET', `/Users?filter=${q(filter)}`)).body.Resources.map((r: { id: string }) => r.id);
    expect(await ids('DisplayName eq "Tove Lind"')).toEqual([tove]);
    expect(await ids('name.FamilyName eq Lind and (emails.Value co corp.example or emails.Value co nowhere.example)')).toEqual([tove]);
    expect(await ids('userName sw T')).toEqual([tove]);
    expect((await ids('meta.Created gt 2015-10-10T14:38:21.8617979-07:00')).sort()).toEqual([tove, ola].sort());

    // A value filter in `attributes` selects the attribute (here all of a user's emails).
    const selected = await org.scim('GET', `/Users?filter=${q(`id eq "${tove}"`)}&attributes=${q('emails[type eq "work"]')}`);
    expect(selected.body.Resources).toEqual([
      { schemas: [CORE_USER], id: tove, emails: expect.arrayContaining([expect.objectContaining({ value: 'tove@corp.example' })]) },
    ]);

    // PATCH with a capitalised op and a real boolean.
    const patched = await org.scim('PATCH', `/Users/${tove}`, {
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'userName', value: 'tove.berg@interop.example' },
          { op: 'Replace', path: 'active', value: false },
        ],
      },
    });
    expect(patched.status).toBe(204);
    expect((await org.scim('GET', `/Users/${tove}`)).body).toMatchObject({ userName: 'tove.berg@interop.example', active: false });

    // PUT replaces: an attribute the schema does not know is dropped, not an error; userName stays required.
    const misspelled = await org.scim('PUT', `/Users/${tove}`, {
      body: { schemas: [CORE_USER], id: tove, userName: 'tove.berg@interop.example', active: false, adresses: [{ country: 'Norway' }] },
    });
    expect(misspelled.status).toBe(200);
    expect(misspelled.text).not.toMatch(/adresses|Norway/i);
    const noUserName = await org.scim('PUT', `/Users/${tove}`, { body: { schemas: [CORE_USER], id: tove, usrName: 'tove', active: false } });
    expect(noUserName.status).toBe(400);
    const replaced = await org.scim('PUT', `/Users/${tove}`, {
      body: {
        schemas: [CORE_USER],
        id: tove,
        userName: 'tove.berg@interop.example',
        active: false,
        name: { formatted: 'Tove Berg' },
        addresses: [{ country: 'Norway' }],
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: { formatted: 'Tove Berg' }, addresses: [{ country: 'Norway' }] });
    expect(replaced.body.emails).toBeUndefined();

    for (const id of [tove, ola]) expect((await org.scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await org.scim('GET', '/Users?attributes=userName')).body.Resources).toEqual([]);
  });

  it('Groups in a client dialect: member display names, bare-string members, remove one and remove all', async () => {
    const user = (await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'member@interop.example' } })).body.id as string;
    const second = (await org.scim('POST', '/Users', { body: { schemas: [CORE_USER], userName: 'second@interop.example' } })).body.id as string;

    const created = await org.scim('POST', '/Groups', { body: { schemas: [CORE_GROUP], externalId: 'ops-1', displayName: 'Ops', members: [] } });
    expect(created.status).toBe(201);
    const ops = created.body.id as string;
    const filled = await org.scim('POST', '/Groups', {
      body: { schemas: [CORE_GROUP], displayName: 'Filled', members: [{ value: user, display: 'Lead' }] },
    });
    expect(filled.status).toBe(201);
    expect((await org.scim('GET', '/Groups')).body.totalResults).toBe(2);

    // PUT replaces the member list.
    const put = await org.scim('PUT', `/Groups/${filled.body.id}`, {
      body: {
        schemas: [CORE_GROUP],
        id: filled.body.id,
        displayName: 'Filled again',
        members: [
          { value: user, display: 'Lead' },
          { value: second, display: 'Deputy' },
        ],
      },
    });
    expect(put.status).toBe(200);
    expect((await org.scim('GET', `/Groups/${filled.body.id}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual(
      [user, second].sort(),
    );

    // An operation may carry a `name`, and a member its `displayName`: shown as the member's display.
    const add = {
      schemas: [PATCH_OP],
      Operations: [{ name: 'addMember', op: 'add', path: 'members', value: [{ displayName: 'On call', value: second }] }],
    };
    expect((await org.scim('PATCH', `/Groups/${ops}`, { body: add })).status).toBe(204);
    const removeOne = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${second}"]` }] };
    expect((await org.scim('PATCH', `/Groups/${ops}`, { body: removeOne })).status).toBe(204);
    expect((await org.scim('GET', `/Groups/${ops}`)).body.members).toBeUndefined();
    expect((await org.scim('PATCH', `/Groups/${ops}`, { body: add })).status).toBe(204);
    expect((await org.scim('GET', `/Groups/${ops}`)).body.members).toEqual([expect.objectContaining({ value: second, display: 'On call' })]);

    // A bare string is taken as a member's value.
    const bare = { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: 'not-an-account' }] };
    expect((await org.scim('PATCH', `/Groups/${ops}`, { body: bare })).status).toBe(204);
    expect((await org.scim('GET', `/Groups/${ops}`)).body.members.map((m: { value: string }) => m.value).sort()).toEqual(
      [second, 'not-an-account'].sort(),
    );
    const withoutMembers = await org.scim('GET', `/Groups/${ops}?excludedAttributes=members`);
    expect(withoutMembers.status).toBe(200);
    expect(withoutMembers.body.members).toBeUndefined();
    expect(withoutMembers.body.displayName).toBe('Ops');

    const removeAll = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] };
    expect((await org.scim('PATCH', `/Groups/${ops}`, { body: removeAll })).status).toBe(204);
    expect((await org.scim('GET', `/Groups/${ops}`)).text).not.toContain('On call');

    // A PUT without members renames and leaves the group empty.
    const renamed = await org.scim('PUT', `/Groups/${filled.body.id}`, {
      body: { schemas: [CORE_GROUP], id: filled.body.id, displayName: 'Renamed', externalId: 'ops-2' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.displayName).toBe('Renamed');
    expect(renamed.body.members).toBeUndefined();

    for (const id of [user, second]) expect((await org.scim('DELETE', `/Users/${id}`)).status).toBe(204);
    for (const id of [ops, filled.body.id]) expect((await org.scim('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await org.scim('GET', '/Groups')).body.Resources).toEqual([]);
  });
});
