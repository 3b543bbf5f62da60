import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database.js';
import { CORE_USER, ENTERPRISE, projectSchemas } from '../../test-support/project-schemas.js';
import { ScimError } from '../errors.js';
import type { JsonObject } from '../schema/coerce-value.js';
import { evaluateFilter } from './evaluate.js';
import { parseFilter } from './parse.js';
import { filterToSql, sortToSql, type SqlAttributeMap } from './to-sql.js';

const users = projectSchemas().resource('User');

const USER_MAP: SqlAttributeMap = {
  id: { column: 'u.id', type: 'string', caseExact: true },
  externalId: { column: 'u.external_id', type: 'string', caseExact: true },
  userName: { column: 'u.user_name', type: 'string' },
  displayName: { column: 'u.display_name', type: 'string' },
  active: { column: 'u.active', type: 'boolean' },
  'name.familyName': { column: 'u.family_name', type: 'string' },
  'meta.created': { column: 'u.created', type: 'timestamp' },
  'meta.lastModified': { column: 'u.last_modified', type: 'timestamp' },
  emails: { jsonArray: 'u.emails', subAttributes: { value: { type: 'string' }, type: { type: 'string' }, primary: { type: 'boolean' } } },
  [`${ENTERPRISE}:employeeNumber`]: { column: 'u.employee_number', type: 'string' },
  'groups.value': { column: 'gm.group_id', type: 'string', caseExact: true, exists: 'EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND {where})' },
  'groups.type': { column: 'gm2.kind', type: 'string', exists: 'EXISTS (SELECT 1 FROM group_member_kind gm2 WHERE gm2.member_id = u.id AND {where})' },
  'groups.display': { column: 'gm.group_name', type: 'string', exists: 'EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND {where})' },
};

const HOSTILE = [
  "x' OR '1'='1",
  "'; DROP TABLE scim_user; --",
  'x"; DROP TABLE scim_user; --',
  '$1) OR (1=1',
  "\\'; SELECT pg_sleep(10); --",
  "日本語' OR 1=1 --",
  '%_\\',
  "') UNION SELECT password FROM account --",
];

const options = { attributes: USER_MAP, coreSchema: CORE_USER };

function compile(filter: string, extra: { paramOffset?: number; allowUnquotedValues?: boolean } = {}) {
  return filterToSql(parseFilter(filter, { allowUnquotedValues: extra.allowUnquotedValues }), { ...options, paramOffset: extra.paramOffset });
}

describe('filterToSql', () => {
  it('compiles case-insensitive string comparison with lower() and parameters', () => {
    expect(compile('userName eq "BJensen"')).toEqual({ where: 'lower(u.user_name) = lower($1::text)', params: ['BJensen'] });
    expect(compile('id eq "A1"')).toEqual({ where: 'u.id = $1::text', params: ['A1'] });
  });

  it('numbers placeholders after the caller\'s own parameters', () => {
    expect(compile('userName sw "b" and active eq true', { paramOffset: 1 })).toEqual({
      where: "(lower(u.user_name) LIKE lower($2::text) ESCAPE '\\' AND u.active = $3)",
      params: ['b%', true],
    });
  });

  it('escapes LIKE wildcards in the parameter, not in the SQL', () => {
    expect(compile('userName co "50%_off\\\\"').params).toEqual(['%50\\%\\_off\\\\%']);
  });

  it('compiles ne and not() as null-safe negation', () => {
    expect(compile('userName ne "x"').where).toBe('NOT COALESCE(lower(u.user_name) = lower($1::text), false)');
    expect(compile('not (active eq true)').where).toBe('NOT COALESCE(u.active = $1, false)');
  });

  it('compiles timestamps through a validated, normalised parameter', () => {
    expect(compile('meta.created gt "2015-10-10T14:38:21.8617979-07:00"')).toEqual({
      where: 'u.created > $1::timestamptz',
      params: ['2015-10-10T21:38:21.861Z'],
    });
  });

  it('compiles jsonb arrays and value paths over the same element', () => {
    const { where, params } = compile('emails[type eq "work" and value co "@example.com"]');
    expect(where).toBe(
      "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.emails) = 'array' THEN u.emails ELSE '[]'::jsonb END) AS scim_e1(v) WHERE (lower((scim_e1.v->>$1::text)) = lower($2::text) AND lower((scim_e1.v->>$3::text)) LIKE lower($4::text) ESCAPE '\\'))",
    );
    expect(params).toEqual(['type', 'work', 'value', '%@example.com%']);
  });

  it('wraps caller EXISTS templates once per value path', () => {
    expect(compile('groups[value eq "g1" and display sw "Eng"]').where).toBe(
      "EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND ((gm.group_id = $1::text AND lower(gm.group_name) LIKE lower($2::text) ESCAPE '\\')))",
    );
  });

  it('finds attributes case-insensitively and through URNs', () => {
    expect(compile(`URN:ietf:params:scim:schemas:core:2.0:User:USERNAME eq "x"`).where).toBe('lower(u.user_name) = lower($1::text)');
    expect(compile(`${ENTERPRISE.toLowerCase()}:EmployeeNumber eq "7"`).where).toBe('lower(u.employee_number) = lower($1::text)');
  });

  it.each([
    ['an attribute that is not mapped', 'title eq "x"'],
    ['an unknown sub-attribute of a jsonb array', 'emails.display eq "x"'],
    ['ordering on a boolean', 'active gt true'],
    ['a string for a boolean', 'active eq "yes"'],
    ['a bad timestamp', 'meta.created gt "yesterday"'],
    ['a substring match on null', 'userName co null'],
    ['a value path over sub-attributes stored apart', 'groups[value eq "x" and type eq "direct"]'],
  ])('rejects %s with invalidFilter', (_why, filter) => {
    expect(() => compile(filter)).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
  });


  it.each(HOSTILE)('never puts a value into the SQL text: %j', (value) => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt']) {
      const filter = `userName ${op} ${JSON.stringify(value)} or emails[type eq ${JSON.stringify(value)}] or groups.value eq ${JSON.stringify(value)}`;
      const { where, params } = compile(filter);
      expect(where).not.toContain(value);
      expect(where).not.toMatch(/DROP|UNION|pg_sleep|1=1/);
      expect(params.some((p) => typeof p === 'string' && p.includes(value.replace(/[\\%_]/g, '')[0] ?? ''))).toBe(true);
    }
  });

  it('rejects U+0000, which PostgreSQL text cannot hold', () => {
    expect(() => compile('userName eq "Robert\\u0000); DROP"')).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
  });

  it('sortToSql orders by mapped columns only', () => {
    expect(sortToSql('UserName', undefined, options)).toBe('lower(u.user_name) ASC NULLS LAST');
    expect(sortToSql('meta.created', 'Descending', options)).toBe('u.created DESC NULLS FIRST');
    expect(sortToSql(undefined, undefined, options)).toBeUndefined();
    for (const bad of ['emails', 'groups.value', 'title', '1=1; --', 'userName desc']) {
      expect(() => sortToSql(bad, undefined, options)).toThrow(ScimError);
    }
    expect(() => sortToSql('userName', 'sideways', options)).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
  });
});

/** Resources as JSON (for evaluateFilter) and the same data as rows (for PostgreSQL). */
const RESOURCES: JsonObject[] = [
  {
    id: 'u1', userName: 'OMalley', displayName: 'Kimberly Baker', active: true, name: { familyName: 'OMalley' },
    emails: [{ value: 'anna33@example.com', type: 'work', primary: true }, { value: 'anna33@gmail.com', type: 'other' }],
    meta: { created: '2019-09-18T18:15:26Z' }, [ENTERPRISE]: { employeeNumber: '701984' }, groups: [{ value: 'g1', display: 'Engineering' }],
  },
  {
    id: 'u2', userName: 'emp1', displayName: 'Kimberly Baker', active: false, name: { familyName: 'Employee' },
    emails: [{ value: 'anna33@gmail.com', type: 'work', primary: true }, { value: 'anna33@example.com', type: 'work' }],
    meta: { created: '2014-01-01T00:00:00Z' }, groups: [{ value: 'g2', display: 'Sales' }],
  },
  {
    id: 'u3', userName: "o'brien@example.org", displayName: '日本 😀', active: true, name: { familyName: 'Employee' },
    emails: [{ value: 'ob@EXAMPLE.org', type: 'home' }], meta: { created: '2021-06-01T12:00:00+02:00' },
  },
  { id: 'u4', userName: '50%_off', active: true, meta: { created: '2022-01-01T00:00:00Z' }, emails: [] },
];

const FILTERS = [
  'userName eq "omalley"',
  'userName ne "omalley"',
  'userName sw "O"',
  'userName ew "ORG"',
  'userName co "%"',
  'userName co "_off"',
  'userName gt "n"',
  'userName le "emp1"',
  'displayName eq "日本 😀"',
  'active eq true',
  'active eq "False"',
  'not (active eq true)',
  'name.familyName eq "Employee" and (emails.value co "example.com" or emails.value co "example.org")',
  'emails[type eq "work" and value co "example.com"]',
  'emails[type eq "work" and primary eq true]',
  'emails[not (type eq "work")]',
  'emails eq "anna33@gmail.com"',
  'emails.type ne "work"',
  'emails pr',
  'emails.primary pr',
  'name.familyName pr',
  'externalId pr',
  'meta.created gt "2015-10-10T14:38:21.8617979-07:00"',
  'meta.created le "2021-06-01T10:00:00Z"',
  `${ENTERPRISE}:employeeNumber eq "701984"`,
  'groups.value eq "g1" or groups[display sw "sal"]',
  'groups.value ne "g1"',
  'userName eq null',
  'name.familyName eq null',
  'name.familyName ne null and active eq true',
  ...HOSTILE.map((v) => `userName eq ${JSON.stringify(v)} or displayName co ${JSON.stringify(v)}`),
];

describe('filterToSql on PostgreSQL agrees with evaluateFilter', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      CREATE TABLE scim_user (id text PRIMARY KEY, external_id text, user_name text, display_name text, active boolean,
        family_name text, emails jsonb, created timestamptz, last_modified timestamptz, employee_number text);
      CREATE TABLE group_member (group_id text, group_name text, member_id text);`);
    for (const r of RESOURCES) {
      await client.query(
        'INSERT INTO scim_user (id, user_name, display_name, active, family_name, emails, created, employee_number) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
        [r.id, r.userName, r.displayName ?? null, r.active, (r.name as JsonObject | undefined)?.familyName ?? null, JSON.stringify(r.emails),
          (r.meta as JsonObject).created, (r[ENTERPRISE] as JsonObject | undefined)?.employeeNumber ?? null],
      );
      for (const g of (r.groups as JsonObject[] | undefined) ?? []) {
        await client.query('INSERT INTO group_member VALUES ($1, $2, $3)', [g.value, g.display, r.id]);
      }
    }
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it.each(FILTERS)('%s', async (text) => {
    const filter = parseFilter(text);
    const expected = RESOURCES.filter((r) => evaluateFilter(filter, r, users)).map((r) => r.id);
    const { where, params } = filterToSql(filter, { ...options, paramOffset: 1 });
    const { rows } = await client.query(`SELECT u.id FROM scim_user u WHERE u.id <> $1 AND ${where} ORDER BY u.id`, ['none', ...params]);
    expect(rows.map((r) => r.id)).toEqual(expected);
  });

  it('the injection strings left the table intact', async () => {
    const { rows } = await client.query('SELECT count(*)::int AS n FROM scim_user');
    expect(rows[0].n).toBe(RESOURCES.length);
  });
});
