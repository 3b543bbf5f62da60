import { ScimError } from '../errors.js';
import type { JsonObject } from '../schema/coerce-value.js';
import { CORE_GROUP, CORE_USER, DEVICES, ENTERPRISE, projectSchemas } from '../../test-support/project-schemas.js';
import { summarizeChanges } from '../change-summary.js';
import { validateResourceInput } from '../schema/validate-resource.js';
import { applyPatch } from './apply-patch.js';
import { parsePatchRequest, PATCH_OP_SCHEMA } from './patch-request.js';

const schemas = projectSchemas();
const users = schemas.resource('User');
const groups = schemas.resource('Group');

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function patch(resource: JsonObject, operations: unknown[], schema = users) {
  return applyPatch(deepFreeze(resource), parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }), schema);
}

function patchError(resource: JsonObject, operations: unknown[], schema = users): ScimError {
  try {
    patch(resource, operations, schema);
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    return e as ScimError;
  }
  throw new Error('patch succeeded');
}

const user = (): JsonObject => ({
  schemas: [CORE_USER],
  id: 'u1',
  userName: 'bjensen@example.com',
  active: true,
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@home.example', type: 'home' },
  ],
  meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z' },
});

const group = (members: string[] = ['u1', 'u2']): JsonObject => ({
  schemas: [CORE_GROUP],
  id: 'g1',
  displayName: 'Engineering',
  members: members.map((value) => ({ value })),
});

describe('parsePatchRequest (RFC 7644 §3.5.2)', () => {
  it('accepts capitalised ops and extra members', () => {
    expect(
      parsePatchRequest({
        schemas: [PATCH_OP_SCHEMA],
        Operations: [
          { name: 'addMember', op: 'Add', path: 'members', value: [] },
          { op: 'Remove', path: 'x' },
        ],
      }),
    ).toEqual([
      { op: 'add', path: 'members', value: [] },
      { op: 'remove', path: 'x' },
    ]);
  });

  it.each([
    ['no PatchOp schema', { Operations: [{ op: 'add', value: {} }] }, 'invalidSyntax'],
    ['no operations', { schemas: [PATCH_OP_SCHEMA], Operations: [] }, 'invalidSyntax'],
    ['an unknown op', { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Frobnicate', path: 'userName', value: 'x' }] }, 'invalidSyntax'],
    ['add without value', { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', path: 'userName' }] }, 'invalidSyntax'],
    ['a non-string path', { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', path: 5, value: 'x' }] }, 'invalidPath'],
    ['a string body', 'Operations', 'invalidSyntax'],
    ['too many operations', { schemas: [PATCH_OP_SCHEMA], Operations: Array(1001).fill({ op: 'remove', path: 'title' }) }, 'tooMany'],
  ])('rejects %s', (_why, body, scimType) => {
    expect(() => parsePatchRequest(body)).toThrow(expect.objectContaining({ scimType }));
  });
});

describe('Okta dialect', () => {
  it('path-less replace {"active": false} deactivates', () => {
    const { resource, changes } = patch(user(), [{ op: 'replace', value: { active: false } }]);
    expect(resource.active).toBe(false);
    expect(changes).toMatchObject({
      changed: true,
      attributes: ['active'],
      active: { before: true, after: false },
      deactivated: true,
      reactivated: false,
    });
  });

  it('a replayed deactivation changes nothing', () => {
    const { changes } = patch({ ...user(), active: false }, [{ op: 'replace', value: { active: false } }]);
    expect(changes).toEqual({ changed: false, attributes: [], deactivated: false, reactivated: false, active: undefined, members: undefined });
  });

  it('reactivation is reported', () => {
    expect(patch({ ...user(), active: false }, [{ op: 'replace', value: { active: true } }]).changes.reactivated).toBe(true);
  });

  it('group rename sends the group id along; the same id is not a change', () => {
    const { resource, changes } = patch(group(), [{ op: 'replace', value: { id: 'g1', displayName: 'Test SCIMv2' } }], groups);
    expect(resource.displayName).toBe('Test SCIMv2');
    expect(changes.attributes).toEqual(['displayName']);
  });

  it('a different id is a mutability error', () => {
    const e = patchError(group(), [{ op: 'replace', value: { id: 'other', displayName: 'x' } }], groups);
    expect([e.status, e.scimType]).toEqual([400, 'mutability']);
  });

  it('removes a member by value when only the stored element carries a type (Entra value list)', () => {
    const typed = {
      ...group([]),
      members: [
        { value: 'u1', type: 'User' },
        { value: 'u2', type: 'User' },
      ],
    };
    const removed = patch(typed, [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }], groups);
    expect(removed.resource.members).toEqual([{ value: 'u2', type: 'User' }]);
    expect(removed.changes.members).toEqual({ added: [], removed: ['u1'] });
    // Both typed and different: not the same element.
    const kept = patch(typed, [{ op: 'Remove', path: 'members', value: [{ value: 'u2', type: 'Group' }] }], groups);
    expect(kept.resource.members).toHaveLength(2);
  });

  it('adds members with display, and removes one by value filter', () => {
    const added = patch(group(['u1']), [{ op: 'add', path: 'members', value: [{ value: 'u9', display: 'test.user@okta.local' }] }], groups);
    expect(added.resource.members).toEqual([{ value: 'u1' }, { value: 'u9', display: 'test.user@okta.local' }]);
    expect(added.changes.members).toEqual({ added: ['u9'], removed: [] });
    const removed = patch(added.resource, [{ op: 'remove', path: 'members[value eq "u1"]' }], groups);
    expect(removed.resource.members).toEqual([{ value: 'u9', display: 'test.user@okta.local' }]);
    expect(removed.changes.members).toEqual({ added: [], removed: ['u1'] });
  });

  it('removing a member that is already gone succeeds without change (retries)', () => {
    const { resource, changes } = patch(group(['u1']), [{ op: 'remove', path: 'members[value eq "u7"]' }], groups);
    expect(resource.members).toEqual([{ value: 'u1' }]);
    expect(changes.changed).toBe(false);
  });
});

describe('Entra dialect', () => {
  it('"Replace" of active with the string "False"', () => {
    const { resource, changes } = patch(user(), [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(resource.active).toBe(false);
    expect(changes.deactivated).toBe(true);
  });

  it('updates a filtered multi-valued value and a sub-attribute', () => {
    const { resource } = patch(user(), [
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
      { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
    ]);
    expect(resource.emails).toEqual([
      { value: 'updatedEmail@microsoft.com', type: 'work', primary: true },
      { value: 'babs@home.example', type: 'home' },
    ]);
    expect(resource.name).toEqual({ givenName: 'Barbara', familyName: 'updatedFamilyName' });
  });

  it('creates the work email when the filter matches nothing', () => {
    const { resource } = patch({ ...user(), emails: undefined }, [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@example.com' }]);
    expect(resource.emails).toEqual([{ type: 'work', value: 'new@example.com' }]);
  });

  it('adds and removes members by value list, with "$ref": null', () => {
    const added = patch(group(['u1']), [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }] }], groups);
    expect(added.resource.members).toEqual([{ value: 'u1' }, { value: 'f648f8d5ea4e4cd38e9c' }]);
    const removed = patch(
      added.resource,
      [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'f648f8d5ea4e4cd38e9c' }, { value: 'U1' }] }],
      groups,
    );
    expect(removed.resource).not.toHaveProperty('members');
    expect(removed.changes.members).toEqual({ added: [], removed: ['u1', 'f648f8d5ea4e4cd38e9c'] });
    const again = patch(removed.resource, [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }], groups);
    expect(again.changes.changed).toBe(false);
  });

  it('path-less replace with dotted and URN-qualified keys', () => {
    const { resource, changes } = patch(user(), [
      {
        op: 'Replace',
        value: {
          'name.givenName': 'Babs',
          displayName: 'Babs Jensen',
          [`${ENTERPRISE}:employeeNumber`]: '701984',
          [`${ENTERPRISE}:manager`]: 'mgr-1',
          notAnAttribute: 'ignored',
        },
      },
    ]);
    expect(resource).toEqual({
      ...user(),
      schemas: [CORE_USER, ENTERPRISE],
      name: { givenName: 'Babs', familyName: 'Jensen' },
      displayName: 'Babs Jensen',
      [ENTERPRISE]: { employeeNumber: '701984', manager: { value: 'mgr-1' } },
    });
    expect(changes.attributes).toEqual(['name', 'displayName', `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:manager`]);
  });

  it('sets the manager from a bare id and removes it, dropping the empty extension', () => {
    const withManager = patch(user(), [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: '2819c223' }]);
    expect(withManager.resource[ENTERPRISE]).toEqual({ manager: { value: '2819c223' } });
    expect(withManager.resource.schemas).toEqual([CORE_USER, ENTERPRISE]);
    const without = patch(withManager.resource, [{ op: 'Remove', path: `${ENTERPRISE}:manager` }]);
    expect(without.resource).not.toHaveProperty(ENTERPRISE);
    expect(without.resource.schemas).toEqual([CORE_USER]);
  });

  it('coerces string booleans inside complex values', () => {
    const { resource } = patch(user(), [
      { op: 'Add', path: 'roles', value: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] },
    ]);
    expect(resource.roles).toEqual([{ primary: false, type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }]);
  });

  it('replaces a whole extension by its URN path', () => {
    const { resource } = patch(user(), [{ op: 'replace', path: ENTERPRISE, value: { Department: 'Sales', costCenter: 4130 } }]);
    expect(resource[ENTERPRISE]).toEqual({ department: 'Sales', costCenter: '4130' });
  });
});

describe('Microsoft SCIM test collection requests', () => {
  it('adds a member given as a bare string id', () => {
    const { resource } = patch(group([]), [{ op: 'add', path: 'members', value: 'string id 1' }], groups);
    expect(resource.members).toEqual([{ value: 'string id 1' }]);
  });

  it('add with "displayName", remove by filter, then remove all', () => {
    const g = patch(
      group([]),
      [{ name: 'addMember', op: 'add', path: 'members', value: [{ displayName: 'new User', value: 'id4' }] }],
      groups,
    ).resource;
    expect(g.members).toEqual([{ display: 'new User', value: 'id4' }]);
    expect(patch(g, [{ op: 'remove', path: 'members[value eq "id4"]' }], groups).resource).not.toHaveProperty('members');
    const all = patch(group(['a', 'b']), [{ op: 'remove', path: 'members' }], groups);
    expect(all.resource).not.toHaveProperty('members');
    expect(all.changes.members).toEqual({ added: [], removed: ['a', 'b'] });
  });

  it('replaces userName', () => {
    expect(patch(user(), [{ op: 'Replace', path: 'userName', value: 'newusername' }]).resource.userName).toBe('newusername');
  });
});

describe('RFC 7644 §3.5.2 semantics', () => {
  it('add to a multi-valued attribute appends and de-duplicates', () => {
    const { resource } = patch(user(), [
      {
        op: 'add',
        path: 'emails',
        value: [
          { value: 'BJENSEN@example.com', type: 'work' },
          { value: 'third@example.com', type: 'other' },
        ],
      },
    ]);
    expect(resource.emails).toEqual([...(user().emails as unknown[]), { value: 'third@example.com', type: 'other' }]);
  });

  it('add without path merges complex attributes', () => {
    const { resource } = patch(user(), [{ op: 'add', value: { name: { middleName: 'Jane' }, nickName: 'Babs' } }]);
    expect(resource.name).toEqual({ givenName: 'Barbara', familyName: 'Jensen', middleName: 'Jane' });
    expect(resource.nickName).toBe('Babs');
  });

  it('replace of a multi-valued attribute without filter replaces all values', () => {
    const { resource } = patch(user(), [{ op: 'replace', path: 'emails', value: [{ value: 'only@example.com', type: 'work' }] }]);
    expect(resource.emails).toEqual([{ value: 'only@example.com', type: 'work' }]);
  });

  it('replace of a filtered element replaces that element only', () => {
    const { resource } = patch(user(), [{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'new@home.example', type: 'home' } }]);
    expect(resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'new@home.example', type: 'home' },
    ]);
  });

  it('remove of a sub-attribute of filtered elements', () => {
    const { resource } = patch(user(), [{ op: 'remove', path: 'emails[type eq "work"].primary' }]);
    expect(resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@home.example', type: 'home' },
    ]);
  });

  it('filters with and/or inside the brackets', () => {
    const { resource } = patch(user(), [{ op: 'remove', path: 'emails[type eq "work" and primary eq true]' }]);
    expect(resource.emails).toEqual([{ value: 'babs@home.example', type: 'home' }]);
  });

  it('setting primary on one value clears it on the others', () => {
    const { resource } = patch(user(), [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }]);
    expect(resource.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'babs@home.example', type: 'home', primary: true },
    ]);
  });

  it('adding two primary values at once is invalidValue', () => {
    expect(
      patchError(user(), [
        {
          op: 'add',
          path: 'emails',
          value: [
            { value: 'a@x', primary: true },
            { value: 'b@x', primary: true },
          ],
        },
      ]).scimType,
    ).toBe('invalidValue');
  });

  it('does not keep a password set by PATCH', () => {
    const { resource, changes } = patch(user(), [
      { op: 'replace', path: 'password', value: 'secret' },
      { op: 'replace', value: { password: 'secret2' } },
    ]);
    expect(resource).not.toHaveProperty('password');
    expect(changes.changed).toBe(false);
  });

  it('replace with null clears an attribute', () => {
    expect(patch(user(), [{ op: 'replace', path: 'name.givenName', value: null }]).resource.name).toEqual({ familyName: 'Jensen' });
  });

  it('does not modify its input and applies all operations or none', () => {
    const input = user();
    const snapshot = JSON.stringify(input);
    patchError(input, [
      { op: 'replace', path: 'displayName', value: 'changed' },
      { op: 'replace', path: 'id', value: 'x' },
    ]);
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  describe('errors (RFC 7644 §3.12)', () => {
    it.each([
      ['remove without path', [{ op: 'remove' }], 'noTarget'],
      ['replace through a non-eq filter that matches nothing', [{ op: 'replace', path: 'emails[value co "nothing"].type', value: 'x' }], 'noTarget'],
      ['an unknown attribute', [{ op: 'replace', path: 'nickname2', value: 'x' }], 'invalidPath'],
      ['an unknown sub-attribute', [{ op: 'replace', path: 'name.nope', value: 'x' }], 'invalidPath'],
      ['an unknown schema URN', [{ op: 'replace', path: 'urn:example:evil:2.0:User:x', value: 'x' }], 'invalidPath'],
      ['an unknown URN key without path', [{ op: 'replace', value: { 'urn:example:evil:2.0:User:x': 1 } }], 'invalidPath'],
      ['a malformed path', [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }], 'invalidPath'],
      ['a filter on a single-valued attribute', [{ op: 'replace', path: 'name[givenName eq "x"].familyName', value: 'x' }], 'invalidPath'],
      ['an unknown attribute in a value filter', [{ op: 'remove', path: 'emails[nope eq "x"]' }], 'invalidFilter'],
      ['replacing id', [{ op: 'replace', path: 'id', value: 'other' }], 'mutability'],
      ['removing meta', [{ op: 'remove', path: 'meta' }], 'mutability'],
      ['adding groups (readOnly)', [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }], 'mutability'],
      ['writing the devices extension', [{ op: 'add', path: `${DEVICES}:devices`, value: [{ id: 'd', status: 'active' }] }], 'mutability'],
      ['removing the required userName', [{ op: 'remove', path: 'userName' }], 'invalidValue'],
      ['a non-boolean active', [{ op: 'replace', path: 'active', value: 'maybe' }], 'invalidValue'],
      ['path-less replace with a non-object', [{ op: 'replace', value: 'x' }], 'invalidValue'],
    ])('%s', (_why, operations, scimType) => {
      const e = patchError(user(), operations);
      expect(e.scimType).toBe(scimType);
      expect(e.status).toBe(400);
    });

    it('changing an immutable member value is mutability', () => {
      expect(patchError(group(), [{ op: 'replace', path: 'members[value eq "u1"].value', value: 'u3' }], groups).scimType).toBe('mutability');
    });
  });
});

describe('summarizeChanges for PUT', () => {
  it('detects deactivation between a stored user and a validated PUT body, ignoring id and meta', () => {
    const body = validateResourceInput({ ...user(), id: 'ignored', active: 'False' }, users, { existing: user() });
    const changes = summarizeChanges(user(), body, users);
    expect(changes.attributes).toEqual(['active']);
    expect(changes.deactivated).toBe(true);
  });
});
