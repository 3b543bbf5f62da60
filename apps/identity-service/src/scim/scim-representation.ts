import type { JsonObject } from '#scim';
import type { AccountGroupRef, AccountRecord, DeviceSummary, GroupMember, GroupRecord } from '../accounts/index.js';
import { etag } from './scim-request.js';

export const DEVICES_SCHEMA = 'urn:ietf:params:scim:schemas:extension:mls-identity:2.0:Devices';

function meta(resourceType: string, location: string, created: Date, lastModified: Date, version: number): JsonObject {
  return {
    resourceType,
    created: created.toISOString(),
    lastModified: lastModified.toISOString(),
    location,
    version: etag(version),
  };
}

/**
 * The full User (before attribute selection): the IdP's stored representation with the
 * server-owned values laid over it: id, meta, the account's real active state (which
 * deprovisioning may have changed), its groups and its devices.
 */
export function userRepresentation(
  account: AccountRecord,
  groups: readonly AccountGroupRef[],
  devices: readonly DeviceSummary[],
  baseUrl: string,
): JsonObject {
  const out: JsonObject = {
    ...(account.resource as JsonObject),
    id: account.id,
    userName: account.userName,
    active: account.active,
    meta: meta('User', `${baseUrl}/Users/${account.id}`, account.createdAt, account.updatedAt, account.version),
  };
  if (account.externalId !== null) out.externalId = account.externalId;
  if (groups.length > 0) {
    out.groups = groups.map((g) => ({ value: g.groupId, $ref: `${baseUrl}/Groups/${g.groupId}`, display: g.displayName, type: 'direct' }));
  }
  if (devices.length > 0) {
    out[DEVICES_SCHEMA] = { devices: devices.map((d) => ({ ...d })) };
  }
  return out;
}

export function groupRepresentation(group: GroupRecord, members: readonly GroupMember[], baseUrl: string): JsonObject {
  const out: JsonObject = {
    ...(group.resource as JsonObject),
    id: group.id,
    displayName: group.displayName,
    meta: meta('Group', `${baseUrl}/Groups/${group.id}`, group.createdAt, group.updatedAt, group.version),
  };
  if (group.externalId !== null) out.externalId = group.externalId;
  if (members.length > 0) {
    out.members = members.map((x) => {
      const member: JsonObject = { value: x.value };
      if (x.accountId) member.$ref = `${baseUrl}/Users/${x.accountId}`;
      if (x.display !== null) member.display = x.display;
      if (x.type !== null) member.type = x.type;
      return member;
    });
  }
  return out;
}
