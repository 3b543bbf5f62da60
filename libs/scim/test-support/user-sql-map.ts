import type { SqlAttributeMap } from '../src/filter/to-sql.js';
import { CORE_USER, ENTERPRISE } from './project-schemas.js';

/**
 * A User table mapping for filterToSql, shared by its unit tests (libs/scim) and the test that
 * runs the compiled SQL on PostgreSQL (test/scim/filter-to-sql.spec.ts).
 */
export const USER_MAP: SqlAttributeMap = {
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
  'groups.value': {
    column: 'gm.group_id',
    type: 'string',
    caseExact: true,
    exists: 'EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND {where})',
  },
  'groups.type': {
    column: 'gm2.kind',
    type: 'string',
    exists: 'EXISTS (SELECT 1 FROM group_member_kind gm2 WHERE gm2.member_id = u.id AND {where})',
  },
  'groups.display': {
    column: 'gm.group_name',
    type: 'string',
    exists: 'EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND {where})',
  },
};

/** Values that would break out of a string literal if they ever reached the SQL text. */
export const HOSTILE = [
  "x' OR '1'='1",
  "'; DROP TABLE scim_user; --",
  'x"; DROP TABLE scim_user; --',
  '$1) OR (1=1',
  "\\'; SELECT pg_sleep(10); --",
  "日本語' OR 1=1 --",
  '%_\\',
  "') UNION SELECT password FROM account --",
];

export const USER_SQL_OPTIONS = { attributes: USER_MAP, coreSchema: CORE_USER };
