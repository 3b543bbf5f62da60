import type { SqlAttributeMap } from '#scim';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const text = (expr: string) => ({ column: expr, type: 'string' as const });
const inResource = (attribute: string) => text(`(a.resource->>'${attribute}')`);

/**
 * What a User filter may touch (trusted configuration for #scim's filterToSql): the account
 * columns, scalar values of the stored representation, emails as a jsonb array and group
 * membership through scim_group_member. It is SQL over this module's tables (the aliases of
 * AccountDirectory.list and GroupDirectory.list), so it lives here; the SCIM module passes
 * it to the list queries.
 */
export const USER_SQL_ATTRIBUTES: SqlAttributeMap = {
  id: { column: 'a.id::text', type: 'string', caseExact: true },
  externalId: { column: 'a.external_id', type: 'string', caseExact: true },
  userName: text('a.user_name'),
  displayName: text('a.display_name'),
  active: { column: 'a.active', type: 'boolean' },
  nickName: inResource('nickName'),
  title: inResource('title'),
  userType: inResource('userType'),
  preferredLanguage: inResource('preferredLanguage'),
  locale: inResource('locale'),
  timezone: inResource('timezone'),
  'name.formatted': text(`(a.resource->'name'->>'formatted')`),
  'name.familyName': text(`(a.resource->'name'->>'familyName')`),
  'name.givenName': text(`(a.resource->'name'->>'givenName')`),
  'meta.created': { column: 'a.created_at', type: 'timestamp' },
  'meta.lastModified': { column: 'a.updated_at', type: 'timestamp' },
  emails: {
    jsonArray: `(a.resource->'emails')`,
    subAttributes: { value: { type: 'string' }, type: { type: 'string' }, primary: { type: 'boolean' }, display: { type: 'string' } },
  },
  phoneNumbers: {
    jsonArray: `(a.resource->'phoneNumbers')`,
    subAttributes: { value: { type: 'string' }, type: { type: 'string' }, primary: { type: 'boolean' } },
  },
  'groups.value': {
    column: 'gm.group_id::text',
    type: 'string',
    caseExact: true,
    exists: 'EXISTS (SELECT 1 FROM scim_group_member gm WHERE gm.account_id = a.id AND {where})',
  },
  [`${ENTERPRISE}:employeeNumber`]: text(`(a.resource->'${ENTERPRISE}'->>'employeeNumber')`),
  [`${ENTERPRISE}:department`]: text(`(a.resource->'${ENTERPRISE}'->>'department')`),
  [`${ENTERPRISE}:organization`]: text(`(a.resource->'${ENTERPRISE}'->>'organization')`),
  [`${ENTERPRISE}:costCenter`]: text(`(a.resource->'${ENTERPRISE}'->>'costCenter')`),
  [`${ENTERPRISE}:division`]: text(`(a.resource->'${ENTERPRISE}'->>'division')`),
  [`${ENTERPRISE}:manager.value`]: { column: `(a.resource->'${ENTERPRISE}'->'manager'->>'value')`, type: 'string', caseExact: true },
};

export const GROUP_SQL_ATTRIBUTES: SqlAttributeMap = {
  id: { column: 'g.id::text', type: 'string', caseExact: true },
  externalId: { column: 'g.external_id', type: 'string', caseExact: true },
  displayName: text('g.display_name'),
  'meta.created': { column: 'g.created_at', type: 'timestamp' },
  'meta.lastModified': { column: 'g.updated_at', type: 'timestamp' },
  'members.value': {
    column: 'gm.value',
    type: 'string',
    caseExact: true,
    exists: 'EXISTS (SELECT 1 FROM scim_group_member gm WHERE gm.group_id = g.id AND {where})',
  },
  'members.display': {
    column: 'gm.display',
    type: 'string',
    exists: 'EXISTS (SELECT 1 FROM scim_group_member gm WHERE gm.group_id = g.id AND {where})',
  },
};
