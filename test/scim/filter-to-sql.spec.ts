import pg from 'pg';
import { evaluateFilter, filterToSql, parseFilter, type JsonObject } from '#scim';
import { ENTERPRISE, projectSchemas } from '../../libs/scim/test-support/project-schemas.js';
import { HOSTILE, USER_SQL_OPTIONS as options } from '../../libs/scim/test-support/user-sql-map.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The SQL half of libs/scim/src/filter/to-sql.spec.ts: it needs PostgreSQL, so it lives with the
// database tests and `npm run test:unit` stays free of I/O.

const users = projectSchemas().resource('User');

/** Resources as JSON (for evaluateFilter) and the same data as rows (for PostgreSQL). */
const RESOURCES: JsonObject[] = [
  {
    id: 'u1',
    userName: 'OMalley',
    displayName: 'Kimberly Baker',
    active: true,
    name: { familyName: 'OMalley' },
    emails: [
      { value: 'anna33@example.com', type: 'work', primary: true },
      { value: 'anna33@gmail.com', type: 'other' },
    ],
    meta: { created: '2019-09-18T18:15:26Z' },
    [ENTERPRISE]: { employeeNumber: '701984' },
    groups: [{ value: 'g1', display: 'Engineering' }],
  },
  {
    id: 'u2',
    userName: 'emp1',
    displayName: 'Kimberly Baker',
    active: false,
    name: { familyName: 'Employee' },
    emails: [
      { value: 'anna33@gmail.com', type: 'work', primary: true },
      { value: 'anna33@example.com', type: 'work' },
    ],
    meta: { created: '2014-01-01T00:00:00Z' },
    groups: [{ value: 'g2', display: 'Sales' }],
  },
  {
    id: 'u3',
    userName: "o'brien@example.org",
    displayName: '日本 😀',
    active: true,
    name: { familyName: 'Employee' },
    emails: [{ value: 'ob@EXAMPLE.org', type: 'home' }],
    meta: { created: '2021-06-01T12:00:00+02:00' },
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
        [
          r.id,
          r.userName,
          r.displayName ?? null,
          r.active,
          (r.name as JsonObject | undefined)?.familyName ?? null,
          JSON.stringify(r.emails),
          (r.meta as JsonObject).created,
          (r[ENTERPRISE] as JsonObject | undefined)?.employeeNumber ?? null,
        ],
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
