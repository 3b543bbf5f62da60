import { ScimError } from '../errors.js';
import { CORE_GROUP, CORE_USER, DEVICES, ENTERPRISE, projectSchemas, readSchemaFile } from '../../test-support/project-schemas.js';
import { loadScimSchemas, ScimSchemaDocumentError } from './definitions.js';
import { shapeResource } from './shape-output.js';
import { validateResourceInput } from './validate-resource.js';

const schemas = projectSchemas();
const users = schemas.resource('User');
const groups = schemas.resource('group');

function scimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    return e as ScimError;
  }
  throw new Error('no error');
}

describe('scim-schemas documents', () => {
  it('ServiceProviderConfig advertises what the server implements (RFC 7643 §5)', () => {
    const spc = readSchemaFile('service-provider-config.json') as Record<string, any>;
    expect(spc.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
    expect(spc.patch).toEqual({ supported: true });
    expect(spc.filter).toEqual({ supported: true, maxResults: 200 });
    expect(spc.bulk).toEqual({ supported: true, maxOperations: 100, maxPayloadSize: 1048576 });
    expect(spc.etag.supported).toBe(true);
    expect(spc.sort.supported).toBe(true);
    expect(spc.changePassword.supported).toBe(false);
    expect(spc.authenticationSchemes[0].type).toBe('oauthbearertoken');
  });

  it('User ResourceType has the /Users endpoint, both extensions optional, and "User Account" (Microsoft collection checks)', () => {
    const rt = readSchemaFile('resource-types/user.json') as Record<string, any>;
    expect(rt.endpoint).toBe('/Users');
    expect(rt.schemaExtensions).toEqual([
      { schema: ENTERPRISE, required: false },
      { schema: DEVICES, required: false },
    ]);
    expect(JSON.stringify(readSchemaFile('schemas/core-user.json'))).toContain('User Account');
  });

  it('every attribute carries all RFC 7643 §7 characteristics', () => {
    for (const schema of schemas.schemas) {
      const raw = readSchemaFile(
        `schemas/${{ [CORE_USER]: 'core-user', [CORE_GROUP]: 'core-group', [ENTERPRISE]: 'enterprise-user', [DEVICES]: 'mls-identity-devices' }[schema.id]}.json`,
      ) as any;
      const check = (a: any) => {
        for (const key of ['name', 'type', 'multiValued', 'description', 'required', 'mutability', 'returned']) expect(a).toHaveProperty(key);
        if (a.type !== 'complex') expect(a).toHaveProperty('caseExact');
        (a.subAttributes ?? []).forEach(check);
      };
      raw.attributes.forEach(check);
    }
  });

  it('the devices extension is read-only', () => {
    const devices = users.findAttribute(users.findSchema(DEVICES)!, 'devices')!;
    expect(devices.mutability).toBe('readOnly');
    expect(devices.subAttributes!.map((s) => s.name)).toEqual(['id', 'name', 'platform', 'status', 'certificateStatus']);
    expect(devices.subAttributes!.every((s) => s.mutability === 'readOnly')).toBe(true);
  });
});

describe('loadScimSchemas', () => {
  it('rejects malformed documents with ScimSchemaDocumentError', () => {
    expect(() => loadScimSchemas({ schemas: [{ id: 'nope', attributes: [] }], resourceTypes: [] })).toThrow(ScimSchemaDocumentError);
    expect(() => loadScimSchemas({ schemas: [{ id: 'urn:x:y', attributes: [{ name: 'a', mutability: 'sometimes' }] }], resourceTypes: [] })).toThrow(
      /mutability/,
    );
    expect(() =>
      loadScimSchemas({ schemas: [{ id: 'urn:x:y', attributes: [] }], resourceTypes: [{ name: 'X', endpoint: '/X', schema: 'urn:x:z' }] }),
    ).toThrow(/unknown schema/);
  });
});

describe('ResourceSchema lookup (RFC 7643 §2.1 case-insensitive names, RFC 7644 §3.10 URN-qualified)', () => {
  it.each([
    ['userName', 'userName'],
    ['USERNAME', 'userName'],
    ['name.GivenName', 'name.givenName'],
    ['Emails.Value', 'emails.value'],
    ['meta.Created', 'meta.created'],
    ['id', 'id'],
    [`${CORE_USER}:userName`, 'userName'],
    [`${ENTERPRISE}:manager.value`, `${ENTERPRISE}:manager.value`],
    [`${ENTERPRISE.toLowerCase()}:Department`, `${ENTERPRISE}:department`],
    [ENTERPRISE, ENTERPRISE],
  ])('%s → %s', (text, canonical) => {
    const resolved = users.resolveText(text);
    expect(resolved).toBeDefined();
    expect(users.canonicalPath(resolved!)).toBe(canonical);
  });

  it.each(['nope', 'name.nope', `${ENTERPRISE}:nope`, 'urn:example:unknown:2.0:User:userName', CORE_USER, 'members'])(
    '%s is unknown to User',
    (text) => {
      expect(users.resolveText(text)).toBeUndefined();
    },
  );
});

// The Microsoft collection's "garbage" user, reduced.
const omalley = {
  userName: 'OMalley',
  active: 'True',
  addresses: [
    { country: 'Bermuda', formatted: '9132 Jennifer Way', type: 'work', primary: false },
    { country: null, formatted: '18522 Lisa Unions', locality: null, type: 'other', primary: false },
  ],
  displayName: 'Kimberly Baker',
  emails: [
    { type: 'work', Primary: true, value: 'anna33@example.com' },
    { type: 'other', primary: 'False', value: 'anna33@gmail.com' },
  ],
  meta: { created: '2019-09-18T18:15:26.5788954+00:00', resourceType: 'User' },
  name: { formatted: 'Daniel Mcgee', familyName: 'OMalley', givenName: 'Darl', honorificPrefix: null },
  roles: [],
  id: 'client-chosen',
  externalId: '22fbc523-6032-4c5f-939d-5d4850cf3e52',
  adreses: [{ country: 'Germany' }],
  schemas: [CORE_USER],
};

describe('validateResourceInput (RFC 7644 §3.3 POST, §3.5.1 PUT)', () => {
  it('canonicalises the Microsoft "garbage" user: string booleans, key case, nulls, readOnly and unknown attributes', () => {
    expect(validateResourceInput(omalley, users)).toEqual({
      schemas: [CORE_USER],
      userName: 'OMalley',
      active: true,
      addresses: [
        { country: 'Bermuda', formatted: '9132 Jennifer Way', type: 'work', primary: false },
        { formatted: '18522 Lisa Unions', type: 'other', primary: false },
      ],
      displayName: 'Kimberly Baker',
      emails: [
        { type: 'work', primary: true, value: 'anna33@example.com' },
        { type: 'other', primary: false, value: 'anna33@gmail.com' },
      ],
      name: { formatted: 'Daniel Mcgee', familyName: 'OMalley', givenName: 'Darl' },
      externalId: '22fbc523-6032-4c5f-939d-5d4850cf3e52',
    });
  });

  it('reads the enterprise extension with capitalised names and a manager given as {"Value"}', () => {
    const out = validateResourceInput(
      {
        schemas: [ENTERPRISE, CORE_USER],
        userName: 'UserName222',
        [ENTERPRISE]: { Department: 'bob', Manager: { Value: 'SuzzyQ', displayName: 'readOnly, dropped' } },
      },
      users,
    );
    expect(out).toEqual({
      schemas: [CORE_USER, ENTERPRISE],
      userName: 'UserName222',
      [ENTERPRISE]: { department: 'bob', manager: { value: 'SuzzyQ' } },
    });
  });

  it('does not keep the write-only password', () => {
    expect(validateResourceInput({ userName: 'a', password: 't1meMa$heen' }, users)).toEqual({ schemas: [CORE_USER], userName: 'a' });
  });

  it('ignores the read-only devices extension on input', () => {
    const out = validateResourceInput(
      { schemas: [CORE_USER, DEVICES], userName: 'a', [DEVICES]: { devices: [{ id: 'x', status: 'active' }] } },
      users,
    );
    expect(out).toEqual({ schemas: [CORE_USER], userName: 'a' });
  });

  it('requires userName (Microsoft "Post no username" / "Put a user no username")', () => {
    const { userName: _omit, ...rest } = omalley;
    const e = scimError(() => validateResourceInput({ ...rest, userame: 'OMalley' }, users));
    expect([e.status, e.scimType, e.detail]).toEqual([400, 'invalidValue', 'the attribute userName is required']);
  });

  it('requires displayName on groups', () => {
    expect(scimError(() => validateResourceInput({ schemas: [CORE_GROUP], members: [] }, groups)).scimType).toBe('invalidValue');
  });

  it.each([
    ['an unknown schema URN in "schemas"', { schemas: [CORE_USER, 'urn:example:evil:2.0:User'], userName: 'a' }, 'invalidValue'],
    ['a "schemas" without the core schema', { schemas: [ENTERPRISE], userName: 'a' }, 'invalidValue'],
    ['an attribute under an unknown URN', { schemas: [CORE_USER], userName: 'a', 'urn:example:evil:2.0:User': { x: 1 } }, 'invalidValue'],
    ['"schemas" that is not an array', { schemas: CORE_USER, userName: 'a' }, 'invalidSyntax'],
    ['a body that is not an object', ['userName'], 'invalidSyntax'],
    ['a wrongly typed boolean', { userName: 'a', active: 'yes' }, 'invalidValue'],
    ['U+0000 in a string', { userName: 'a\u0000b' }, 'invalidValue'],
    ['an object for a string', { userName: { value: 'a' } }, 'invalidValue'],
    [
      'two primary emails',
      {
        userName: 'a',
        emails: [
          { value: 'a@x', primary: true },
          { value: 'b@x', primary: 'True' },
        ],
      },
      'invalidValue',
    ],
    ['an extension that is not an object', { userName: 'a', [ENTERPRISE]: 'x' }, 'invalidValue'],
  ])('rejects %s', (_why, body, scimType) => {
    const e = scimError(() => validateResourceInput(body, users));
    expect(e.scimType).toBe(scimType);
    expect(e.status).toBe(400);
  });

  it('coerces members given as bare ids and the "displayName" spelling of display', () => {
    const out = validateResourceInput(
      { schemas: [CORE_GROUP], displayName: 'G', members: ['id1', { value: 'id2', displayName: 'new User', $ref: null }] },
      groups,
    );
    expect(out.members).toEqual([{ value: 'id1' }, { value: 'id2', display: 'new User' }]);
  });

  describe('immutable attributes on PUT', () => {
    const custom = loadScimSchemas({
      schemas: [{ id: 'urn:example:Thing', attributes: [{ name: 'serial', mutability: 'immutable' }, { name: 'label' }] }],
      resourceTypes: [{ name: 'Thing', endpoint: '/Things', schema: 'urn:example:Thing' }],
    }).resource('Thing');
    const existing = { schemas: ['urn:example:Thing'], id: '1', serial: 'S1', label: 'old' };

    it('accepts the same value and keeps it when omitted', () => {
      expect(validateResourceInput({ serial: 's1', label: 'new' }, custom, { existing })).toEqual({
        schemas: ['urn:example:Thing'],
        serial: 's1',
        label: 'new',
      });
      expect(validateResourceInput({ label: 'new' }, custom, { existing })).toEqual({ schemas: ['urn:example:Thing'], label: 'new', serial: 'S1' });
    });
    it('rejects a different value with mutability', () => {
      const e = scimError(() => validateResourceInput({ serial: 'S2' }, custom, { existing }));
      expect([e.status, e.scimType]).toEqual([400, 'mutability']);
    });
    it('checks dateTime values', () => {
      const timed = loadScimSchemas({
        schemas: [{ id: 'urn:example:T', attributes: [{ name: 'at', type: 'dateTime' }] }],
        resourceTypes: [{ name: 'T', endpoint: '/T', schema: 'urn:example:T' }],
      }).resource('T');
      expect(validateResourceInput({ at: '2015-10-10T14:38:21.8617979-07:00' }, timed).at).toBe('2015-10-10T14:38:21.8617979-07:00');
      for (const bad of ['2015-13-10T00:00:00Z', '2015-02-30T00:00:00Z', 'yesterday', '1']) {
        expect(scimError(() => validateResourceInput({ at: bad }, timed)).scimType).toBe('invalidValue');
      }
    });
    it('allows setting it when it had no value', () => {
      expect(validateResourceInput({ serial: 'S2' }, custom, { existing: { id: '1' } }).serial).toBe('S2');
    });
  });
});

describe('shapeResource (RFC 7643 §2.2 returned, RFC 7644 §3.4.2.5 attributes)', () => {
  const stored = {
    schemas: [CORE_USER, ENTERPRISE, DEVICES],
    id: 'u1',
    externalId: 'e1',
    userName: 'bjensen',
    password: 'never-returned',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [
      { value: 'b@work', type: 'work', primary: true },
      { value: 'b@home', type: 'home' },
    ],
    meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z' },
    unknownThing: 'dropped',
    [ENTERPRISE]: { department: 'R&D', manager: { value: 'm1', displayName: 'Boss' } },
    [DEVICES]: { devices: [{ id: 'd1', name: 'Phone', platform: 'ios', status: 'active', certificateStatus: 'good' }] },
  };

  it('by default returns everything but "never" attributes and unknown keys', () => {
    const out = shapeResource(stored, users);
    expect(out).not.toHaveProperty('password');
    expect(out).not.toHaveProperty('unknownThing');
    expect(out.schemas).toEqual([CORE_USER, ENTERPRISE, DEVICES]);
    expect(out[DEVICES]).toEqual(stored[DEVICES]);
  });

  it('attributes=userName,emails keeps id (returned always) and drops the rest', () => {
    expect(shapeResource(stored, users, { attributes: 'userName,emails' })).toEqual({
      schemas: [CORE_USER],
      id: 'u1',
      userName: 'bjensen',
      emails: stored.emails,
    });
  });

  it('attributes with a sub-attribute, a URN-qualified name and the Microsoft emails[...] form', () => {
    expect(shapeResource(stored, users, { attributes: ['name.givenName', `${ENTERPRISE}:manager.value`, 'emails[type eq "work"]'] })).toEqual({
      schemas: [CORE_USER, ENTERPRISE],
      id: 'u1',
      name: { givenName: 'Barbara' },
      emails: stored.emails,
      [ENTERPRISE]: { manager: { value: 'm1' } },
    });
  });

  it('excludedAttributes removes attributes and sub-attributes but never "always" ones', () => {
    const out = shapeResource(stored, users, { excludedAttributes: `emails,name.familyName,id,${DEVICES}` });
    expect(out.id).toBe('u1');
    expect(out).not.toHaveProperty('emails');
    expect(out.name).toEqual({ givenName: 'Barbara' });
    expect(out).not.toHaveProperty(DEVICES);
  });

  it('Group excludedAttributes=members', () => {
    const g = { schemas: [CORE_GROUP], id: 'g', displayName: 'G', members: [{ value: 'u1' }] };
    expect(shapeResource(g, groups, { excludedAttributes: 'members' })).toEqual({ schemas: [CORE_GROUP], id: 'g', displayName: 'G' });
  });

  it('returns "request" attributes only when asked for', () => {
    const custom = loadScimSchemas({
      schemas: [{ id: 'urn:example:Thing', attributes: [{ name: 'secretish', returned: 'request' }, { name: 'label' }] }],
      resourceTypes: [{ name: 'Thing', endpoint: '/Things', schema: 'urn:example:Thing' }],
    }).resource('Thing');
    const thing = { id: '1', secretish: 's', label: 'l' };
    expect(shapeResource(thing, custom)).toEqual({ schemas: ['urn:example:Thing'], id: '1', label: 'l' });
    expect(shapeResource(thing, custom, { attributes: 'secretish' })).toEqual({ schemas: ['urn:example:Thing'], id: '1', secretish: 's' });
  });
});
