import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  applyPatch,
  isJsonObject,
  parsePatchRequest,
  ScimError,
  shapeResource,
  summarizeChanges,
  validateResourceInput,
  type JsonObject,
  type ListResponse,
  type ResourceSchema,
} from '#scim';
import { AccountDeprovisioningService, GroupDirectory, type GroupFields, type GroupMember, type GroupRecord } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import { OrgsService } from '../orgs/index.js';
import { SCIM_DOCUMENTS, type ScimDocuments } from './scim-schema-files.js';
import { groupRepresentation } from './scim-representation.js';
import { listQuery, pagedList } from './scim-list.js';
import { checkIfMatch, type ListParams, type ScimCaller } from './scim-request.js';
import { GROUP_SQL_ATTRIBUTES } from '../accounts/index.js';
import { keepExternalId, type Written } from './scim-users.service.js';

interface MemberInput {
  value: string;
  display: string | null;
  type: string | null;
}

/** A group as read under its lock: the row, its member rows and the representation built from them. */
interface Current {
  record: GroupRecord;
  members: GroupMember[];
  resource: JsonObject;
}

function groupFields(resource: JsonObject): GroupFields {
  const { externalId, members: _members, ...rest } = resource;
  return { displayName: String(resource.displayName), externalId: typeof externalId === 'string' ? externalId : null, resource: rest };
}

function memberInputs(resource: JsonObject): MemberInput[] {
  const list = Array.isArray(resource.members) ? resource.members.filter(isJsonObject) : [];
  const byValue = new Map<string, MemberInput>();
  for (const x of list) {
    if (typeof x.value !== 'string' || x.value === '') continue;
    byValue.set(x.value, {
      value: x.value,
      display: typeof x.display === 'string' ? x.display : null,
      type: typeof x.type === 'string' ? x.type : null,
    });
  }
  return [...byValue.values()];
}

/**
 * SCIM Groups (RFC 7644 §3) and the entitlement rule: when the org names an entitlement
 * group, an account that leaves it (member removal, a PUT without it, the group's
 * deletion) is deprovisioned in the same transaction.
 */
@Injectable()
export class ScimGroupsService {
  readonly schema: ResourceSchema;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SCIM_DOCUMENTS) documents: ScimDocuments,
    private readonly groups: GroupDirectory,
    private readonly deprovisioning: AccountDeprovisioningService,
    private readonly audit: AuditService,
    private readonly orgs: OrgsService,
  ) {
    this.schema = documents.schemas.resource('Group');
  }

  private async represent(m: EntityManager, caller: ScimCaller, records: GroupRecord[]): Promise<JsonObject[]> {
    const members = await this.groups.members(
      m,
      caller.orgId,
      records.map((r) => r.id),
    );
    return records.map((r) => groupRepresentation(r, members.get(r.id) ?? [], caller.baseUrl));
  }

  private async current(m: EntityManager, caller: ScimCaller, id: string, lock: boolean): Promise<Current> {
    const record = await this.groups.find(m, caller.orgId, id, lock);
    if (!record) throw new ScimError(404, `no Group ${JSON.stringify(id).slice(0, 80)}`);
    const members = (await this.groups.members(m, caller.orgId, [id])).get(id) ?? [];
    return { record, members, resource: groupRepresentation(record, members, caller.baseUrl) };
  }

  /** The resource after a write, from the row the write returned; members are read back (their order is the database's). */
  private async written(m: EntityManager, caller: ScimCaller, record: GroupRecord, members?: GroupMember[]): Promise<Written> {
    members ??= (await this.groups.members(m, caller.orgId, [record.id])).get(record.id) ?? [];
    return {
      id: record.id,
      resource: groupRepresentation(record, members, caller.baseUrl),
      version: record.version,
      location: `${caller.baseUrl}/Groups/${record.id}`,
    };
  }

  /** An unchanged resource is answered as read: nothing was written. */
  private async answer(m: EntityManager, caller: ScimCaller, before: Current, updated: GroupRecord | null): Promise<Written> {
    return updated ? this.written(m, caller, updated) : this.written(m, caller, before.record, before.members);
  }

  shape(resource: JsonObject, selection: Pick<ListParams, 'attributes' | 'excludedAttributes'>): JsonObject {
    return shapeResource(resource, this.schema, selection);
  }

  async get(caller: ScimCaller, id: string): Promise<{ resource: JsonObject; version: number }> {
    const { record, resource } = await this.current(this.dataSource.manager, caller, id, false);
    return { resource, version: record.version };
  }

  async window(caller: ScimCaller, params: ListParams, offset: number, limit: number): Promise<{ total: number; resources: JsonObject[] }> {
    const m = this.dataSource.manager;
    const { total, groups } = await this.groups.list(m, caller.orgId, { ...listQuery(params, this.schema, GROUP_SQL_ATTRIBUTES), offset, limit });
    const resources = (await this.represent(m, caller, groups)).map((r) => this.shape(r, params));
    return { total, resources };
  }

  list(caller: ScimCaller, params: ListParams): Promise<ListResponse<JsonObject>> {
    return pagedList(params, (offset, limit) => this.window(caller, params, offset, limit));
  }

  async create(caller: ScimCaller, body: unknown): Promise<Written> {
    const input = validateResourceInput(body, this.schema);
    return this.dataSource.transaction(async (m) => {
      const record = await this.groups.insert(m, caller.orgId, groupFields(input));
      const members = memberInputs(input);
      await this.groups.setMembers(m, caller.orgId, record.id, members, []);
      await this.audit.record(m, { orgId: caller.orgId, actor: caller.actor, action: 'scim.group.create', target: `scim_group:${record.id}` });
      // A new group without members has nothing to read back.
      return this.written(m, caller, record, members.length === 0 ? [] : undefined);
    });
  }

  async replace(caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<Written> {
    return this.dataSource.transaction(async (m) => {
      const before = await this.current(m, caller, id, true);
      checkIfMatch(ifMatch, before.record.version);
      const input = keepExternalId(validateResourceInput(body, this.schema, { existing: before.resource }), before.record.externalId);
      return this.answer(m, caller, before, await this.store(m, caller, before, input));
    });
  }

  async patch(caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<Written> {
    return this.patching(caller, id, body, ifMatch, (m, before, updated) => this.answer(m, caller, before, updated));
  }

  /**
   * A PATCH answered with 204 and an ETag: only the new version is needed, so the members
   * (a whole large group) are not read back after the write.
   */
  async patchForVersion(caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<{ version: number }> {
    return this.patching(caller, id, body, ifMatch, async (_m, before, updated) => ({ version: (updated ?? before.record).version }));
  }

  private patching<T>(
    caller: ScimCaller,
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    answer: (m: EntityManager, before: Current, updated: GroupRecord | null) => Promise<T>,
  ): Promise<T> {
    const operations = parsePatchRequest(body);
    return this.dataSource.transaction(async (m) => {
      const before = await this.current(m, caller, id, true);
      checkIfMatch(ifMatch, before.record.version);
      const patched = applyPatch(before.resource, operations, this.schema);
      const input = validateResourceInput(patched.resource, this.schema);
      return answer(m, before, await this.store(m, caller, before, input));
    });
  }

  /** The row as written, or null when the input changes nothing (no write, no version bump, no audit event). */
  private async store(m: EntityManager, caller: ScimCaller, before: Current, input: JsonObject): Promise<GroupRecord | null> {
    const { record } = before;
    const changes = summarizeChanges(before.resource, input, this.schema);
    if (!changes.changed) return null;
    const updated = await this.groups.update(m, caller.orgId, record.id, groupFields(input));
    const { removedAccounts } = await this.groups.setMembers(m, caller.orgId, record.id, memberInputs(input), before.members);
    await this.audit.record(m, {
      orgId: caller.orgId,
      actor: caller.actor,
      action: 'scim.group.update',
      target: `scim_group:${record.id}`,
      details: {
        attributes: changes.attributes,
        membersAdded: changes.members?.added.length ?? 0,
        membersRemoved: changes.members?.removed.length ?? 0,
      },
    });
    await this.enforceEntitlement(m, caller, [record.displayName, String(input.displayName)], record.id, removedAccounts);
    return updated;
  }

  async delete(caller: ScimCaller, id: string, ifMatch?: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const record = await this.groups.find(m, caller.orgId, id, true);
      if (!record) throw new ScimError(404, `no Group ${JSON.stringify(id).slice(0, 80)}`);
      checkIfMatch(ifMatch, record.version);
      const members = (await this.groups.members(m, caller.orgId, [id])).get(id) ?? [];
      await this.groups.delete(m, caller.orgId, id);
      await this.audit.record(m, { orgId: caller.orgId, actor: caller.actor, action: 'scim.group.delete', target: `scim_group:${id}` });
      const accounts = members.flatMap((x) => (x.accountId ? [x.accountId] : []));
      await this.enforceEntitlement(m, caller, [record.displayName], id, accounts);
    });
  }

  /** Leaving the entitlement group is losing the entitlement: deprovision, as for active=false. */
  private async enforceEntitlement(m: EntityManager, caller: ScimCaller, names: string[], groupId: string, leavers: string[]): Promise<void> {
    if (leavers.length === 0) return;
    const policy = (await this.orgs.settings(caller.orgId, m)).scim;
    const byId = policy.entitlementGroupId !== null && policy.entitlementGroupId.toLowerCase() === groupId.toLowerCase();
    const wanted = policy.entitlementGroupDisplayName?.toLowerCase();
    const byName = wanted !== undefined && names.some((n) => n.toLowerCase() === wanted);
    if (!byId && !byName) return;
    for (const accountId of [...new Set(leavers)].sort()) {
      await this.deprovisioning.deprovision(m, { orgId: caller.orgId, accountId, actor: caller.actor, mode: 'deactivate' });
    }
  }
}
