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
  type ResourceChanges,
  type ResourceSchema,
} from '#scim';
import {
  AccountDeprovisioningService,
  AccountDirectory,
  AccountErrors,
  GroupDirectory,
  type AccountFields,
  type AccountGroupRef,
  type AccountRecord,
} from '../accounts/index.js';
import { OrgsService } from '../orgs/index.js';
import { AuditService } from '../audit/index.js';
import { SCIM_DOCUMENTS, type ScimDocuments } from './scim-schema-files.js';
import { userRepresentation } from './scim-representation.js';
import { listQuery, pagedList } from './scim-list.js';
import { checkIfMatch, type ListParams, type ScimCaller } from './scim-request.js';
import { USER_SQL_ATTRIBUTES } from '../accounts/index.js';

/** A resource as written: the representation to return and its version (for the ETag). */
export interface Written {
  id: string;
  resource: JsonObject;
  version: number;
  location: string;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The address certificates carry: the primary email, else a work one, else the first. */
function primaryEmail(resource: JsonObject): string | null {
  const emails = Array.isArray(resource.emails) ? resource.emails.filter(isJsonObject) : [];
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  return pick ? stringOrNull(pick.value) : null;
}

/**
 * externalId is the IdP's own key for the resource: a PUT that leaves it out (RFC 7644
 * §3.5.1 lets a server choose for omitted attributes) does not make us forget it.
 */
export function keepExternalId(input: JsonObject, existing: string | null): JsonObject {
  return input.externalId === undefined && existing !== null ? { ...input, externalId: existing } : input;
}

/** The stored form: client-writable values only (server-owned ones are laid over on output). */
function accountFields(resource: JsonObject): AccountFields {
  const { externalId, ...rest } = resource;
  delete rest.active;
  return {
    userName: String(resource.userName),
    externalId: stringOrNull(externalId),
    displayName: stringOrNull(resource.displayName),
    email: primaryEmail(resource),
    resource: rest,
  };
}

/**
 * SCIM Users (RFC 7644 §3) on the org's accounts. Each write is one transaction that also
 * runs the deprovisioning use case when the account is deactivated or deleted, so the IdP
 * gets its answer only after every revocation and outbox event has committed.
 */
@Injectable()
export class ScimUsersService {
  readonly schema: ResourceSchema;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SCIM_DOCUMENTS) documents: ScimDocuments,
    private readonly accounts: AccountDirectory,
    private readonly deprovisioning: AccountDeprovisioningService,
    private readonly audit: AuditService,
    private readonly groups: GroupDirectory,
    private readonly orgs: OrgsService,
  ) {
    this.schema = documents.schemas.resource('User');
  }

  private async represent(m: EntityManager, caller: ScimCaller, records: AccountRecord[]): Promise<JsonObject[]> {
    const ids = records.map((r) => r.id);
    const [groups, devices] = await Promise.all([this.accounts.groupsOf(m, caller.orgId, ids), this.accounts.devicesOf(m, caller.orgId, ids)]);
    return records.map((r) => userRepresentation(r, groups.get(r.id) ?? [], devices.get(r.id) ?? [], caller.baseUrl));
  }

  private async current(
    m: EntityManager,
    caller: ScimCaller,
    id: string,
    lock: boolean,
  ): Promise<{ record: AccountRecord; resource: JsonObject; groups: AccountGroupRef[] }> {
    const record = await this.accounts.find(m, caller.orgId, id, lock);
    if (!record) throw new ScimError(404, `no User ${JSON.stringify(id).slice(0, 80)}`);
    const [groups, devices] = await Promise.all([this.accounts.groupsOf(m, caller.orgId, [id]), this.accounts.devicesOf(m, caller.orgId, [id])]);
    const mine = groups.get(id) ?? [];
    return { record, resource: userRepresentation(record, mine, devices.get(id) ?? [], caller.baseUrl), groups: mine };
  }

  /** The resource after a write: group memberships are not changed by a User write; devices may be (deprovisioning). */
  private async written(m: EntityManager, caller: ScimCaller, id: string, groups: AccountGroupRef[]): Promise<Written> {
    const record = (await this.accounts.find(m, caller.orgId, id))!;
    const devices = (await this.accounts.devicesOf(m, caller.orgId, [id])).get(id) ?? [];
    return {
      id,
      resource: userRepresentation(record, groups, devices, caller.baseUrl),
      version: record.version,
      location: `${caller.baseUrl}/Users/${id}`,
    };
  }

  shape(resource: JsonObject, selection: Pick<ListParams, 'attributes' | 'excludedAttributes'>): JsonObject {
    return shapeResource(resource, this.schema, selection);
  }

  async get(caller: ScimCaller, id: string): Promise<{ resource: JsonObject; version: number }> {
    const { record, resource } = await this.current(this.dataSource.manager, caller, id, false);
    return { resource, version: record.version };
  }

  /** One window of the filtered, sorted list; offset/limit are SQL-level (root search combines types). */
  async window(caller: ScimCaller, params: ListParams, offset: number, limit: number): Promise<{ total: number; resources: JsonObject[] }> {
    const m = this.dataSource.manager;
    const { total, accounts } = await this.accounts.list(m, caller.orgId, { ...listQuery(params, this.schema, USER_SQL_ATTRIBUTES), offset, limit });
    const resources = (await this.represent(m, caller, accounts)).map((r) => this.shape(r, params));
    return { total, resources };
  }

  list(caller: ScimCaller, params: ListParams): Promise<ListResponse<JsonObject>> {
    return pagedList(params, (offset, limit) => this.window(caller, params, offset, limit));
  }

  async create(caller: ScimCaller, body: unknown): Promise<Written> {
    const input = validateResourceInput(body, this.schema);
    const fields = accountFields(input);
    return this.dataSource.transaction(async (m) => {
      const record = await this.accounts.insert(m, caller.orgId, fields, input.active !== false);
      await this.audit.record(m, { orgId: caller.orgId, actor: caller.actor, action: 'scim.user.create', target: `account:${record.id}` });
      // A new account is in no group and has no device yet: nothing more to read.
      return {
        id: record.id,
        resource: userRepresentation(record, [], [], caller.baseUrl),
        version: record.version,
        location: `${caller.baseUrl}/Users/${record.id}`,
      };
    });
  }

  async replace(caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<Written> {
    return this.dataSource.transaction(async (m) => {
      const { record, resource, groups } = await this.current(m, caller, id, true);
      checkIfMatch(ifMatch, record.version);
      const input = keepExternalId(validateResourceInput(body, this.schema, { existing: resource }), record.externalId);
      const changes = summarizeChanges(resource, input, this.schema);
      await this.store(m, caller, record, input, changes);
      return this.written(m, caller, id, groups);
    });
  }

  async patch(caller: ScimCaller, id: string, body: unknown, ifMatch?: string): Promise<Written> {
    const operations = parsePatchRequest(body);
    return this.dataSource.transaction(async (m) => {
      const { record, resource, groups } = await this.current(m, caller, id, true);
      checkIfMatch(ifMatch, record.version);
      const patched = applyPatch(resource, operations, this.schema);
      // Re-validated as a whole: userName must survive the patch, readOnly values are dropped.
      const input = validateResourceInput(patched.resource, this.schema);
      await this.store(m, caller, record, input, patched.changes);
      return this.written(m, caller, id, groups);
    });
  }

  /** Writes the IdP's values, then lets the use cases own the state change of "active". */
  private async store(m: EntityManager, caller: ScimCaller, record: AccountRecord, input: JsonObject, changes: ResourceChanges): Promise<void> {
    if (changes.attributes.some((a) => a !== 'active')) {
      await this.accounts.update(m, caller.orgId, record.id, accountFields(input));
      await this.audit.record(m, {
        orgId: caller.orgId,
        actor: caller.actor,
        action: 'scim.user.update',
        target: `account:${record.id}`,
        details: { attributes: changes.attributes },
      });
    }
    const base = { orgId: caller.orgId, accountId: record.id, actor: caller.actor };
    // active:false on an account an admin suspended is no change to SCIM (it reads inactive
    // already), but it is the IdP's decision: it takes the account over from the suspension.
    if (changes.deactivated || input.active === false) await this.deprovisioning.deprovision(m, { ...base, mode: 'deactivate' });
    else if (changes.reactivated) {
      // Okta's profile push sends active:true for anyone assigned: it must not bring back a
      // person the org's entitlement group no longer includes (the whole write is refused).
      const { entitlementGroupId: id, entitlementGroupDisplayName: displayName } = (await this.orgs.settings(caller.orgId, m)).scim;
      if (!(await this.groups.entitled(m, caller.orgId, record.id, { id, displayName }))) {
        throw AccountErrors.error('account_not_entitled', "the account is not a member of the org's entitlement group, so it is not reactivated");
      }
      await this.deprovisioning.reactivate(m, base);
    }
  }

  /** Entra's hard delete: deprovisioned with a tombstone; afterwards the User is gone (404). */
  async delete(caller: ScimCaller, id: string, ifMatch?: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const record = await this.accounts.find(m, caller.orgId, id, true);
      if (!record) throw new ScimError(404, `no User ${JSON.stringify(id).slice(0, 80)}`);
      checkIfMatch(ifMatch, record.version);
      await this.deprovisioning.deprovision(m, { orgId: caller.orgId, accountId: record.id, actor: caller.actor, mode: 'delete' });
      await this.accounts.leaveAllGroups(m, caller.orgId, record.id);
    });
  }
}
