import { Inject, Injectable, Logger } from '@nestjs/common';
import { isJsonObject, renderScimError, ScimError, type JsonObject } from '#scim';
import { SCIM_DOCUMENTS, type ScimDocuments } from './scim-schema-files.js';
import { toScimError } from './scim-error.filter.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { etag, type ScimCaller } from './scim-request.js';
import { ScimUsersService, type Written } from './scim-users.service.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface BulkOperation {
  index: number;
  method: Method;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

interface BulkOutcome {
  method: Method;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: unknown;
}

const BULK_REF = /^bulkId:(.+)$/;
/** In a path the reference is one segment: /Users/bulkId:qwerty. */
const PATH_REF = /^\/(\w+)\/bulkId:([^/]+)$/;

function pathReferences(path: string): string[] {
  const m = PATH_REF.exec(path);
  return m ? [m[2]] : [];
}

function substitutePath(path: string, ids: Map<string, string>): string {
  const m = PATH_REF.exec(path);
  return m && ids.has(m[2]) ? `/${m[1]}/${ids.get(m[2])}` : path;
}

function readOperations(body: unknown, max: number): { failOnErrors: number | undefined; operations: BulkOperation[] } {
  if (!isJsonObject(body)) throw ScimError.invalidSyntax('the body must be a BulkRequest object');
  const get = (name: string) => Object.entries(body).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const schemas = get('schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw ScimError.invalidSyntax(`"schemas" must contain ${BULK_REQUEST_SCHEMA}`);
  }
  const failOnErrors = get('failOnErrors');
  if (failOnErrors !== undefined && (!Number.isInteger(failOnErrors) || (failOnErrors as number) < 1)) {
    throw ScimError.invalidValue('failOnErrors must be a positive integer');
  }
  const raw = get('Operations');
  if (!Array.isArray(raw) || raw.length === 0) throw ScimError.invalidSyntax('"Operations" must be a non-empty array');
  // RFC 7644 §3.7.4: over the advertised maximum is 413.
  if (raw.length > max) throw new ScimError(413, `more than ${max} bulk operations`);
  const seen = new Set<string>();
  const operations = raw.map((op, index): BulkOperation => {
    if (!isJsonObject(op)) throw ScimError.invalidSyntax(`Operations[${index}] must be an object`);
    const field = (name: string) => Object.entries(op).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    const method = typeof field('method') === 'string' ? (field('method') as string).toUpperCase() : '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
      throw ScimError.invalidSyntax(`Operations[${index}].method must be POST, PUT, PATCH or DELETE`);
    const path = field('path');
    if (typeof path !== 'string') throw ScimError.invalidSyntax(`Operations[${index}].path is required`);
    const bulkId = field('bulkId');
    if (method === 'POST' && (typeof bulkId !== 'string' || bulkId === ''))
      throw ScimError.invalidSyntax(`Operations[${index}]: POST needs a bulkId`);
    if (bulkId !== undefined && typeof bulkId !== 'string') throw ScimError.invalidSyntax(`Operations[${index}].bulkId must be a string`);
    if (typeof bulkId === 'string') {
      if (seen.has(bulkId)) throw ScimError.invalidValue(`bulkId ${JSON.stringify(bulkId).slice(0, 80)} is used twice`);
      seen.add(bulkId);
    }
    const version = field('version');
    return {
      index,
      method: method as Method,
      bulkId: bulkId as string | undefined,
      version: typeof version === 'string' ? version : undefined,
      path,
      data: field('data'),
    };
  });
  return { failOnErrors: failOnErrors as number | undefined, operations };
}

/** bulkId references still unresolved in a value (RFC 7644 §3.7.2). */
function references(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const m = BULK_REF.exec(value);
    if (m) out.add(m[1]);
  } else if (Array.isArray(value)) value.forEach((v) => references(v, out));
  else if (isJsonObject(value)) Object.values(value).forEach((v) => references(v, out));
  return out;
}

function substitute(value: unknown, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    const m = BULK_REF.exec(value);
    return m && ids.has(m[1]) ? ids.get(m[1]) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, ids));
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, ids)]));
  return value;
}

/** A resource id from a bulk path segment; a malformed %-escape is the client's path error, not a fault. */
function decodePathId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ScimError.invalidPath(`the bulk path has a malformed %-escape: ${JSON.stringify(segment).slice(0, 200)}`);
  }
}

const log = new Logger('ScimBulk');

function failure(op: BulkOperation, error: ScimError): BulkOutcome {
  return { method: op.method, ...(op.bulkId ? { bulkId: op.bulkId } : {}), status: String(error.status), response: renderScimError(error) };
}

/**
 * /Bulk (RFC 7644 §3.7): operations run in order, each in its own transaction (a bulk
 * request is not atomic); an operation that refers to a bulkId created later waits for
 * it, and references that can never resolve (cycles, failed creations) fail with 409.
 */
@Injectable()
export class ScimBulkService {
  private readonly maxOperations: number;
  private readonly maxPayloadSize: number;

  constructor(
    @Inject(SCIM_DOCUMENTS) documents: ScimDocuments,
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
  ) {
    const bulk = documents.serviceProviderConfig.bulk as { maxOperations: number; maxPayloadSize: number };
    this.maxOperations = bulk.maxOperations;
    this.maxPayloadSize = bulk.maxPayloadSize;
  }

  async run(caller: ScimCaller, body: unknown, declaredSize: number): Promise<JsonObject> {
    if (declaredSize > this.maxPayloadSize) throw new ScimError(413, `bulk requests are limited to ${this.maxPayloadSize} bytes`);
    const { failOnErrors, operations } = readOperations(body, this.maxOperations);
    const ids = new Map<string, string>();
    const failedIds = new Set<string>();
    const outcomes = new Map<number, BulkOutcome>();
    let errors = 0;
    let pending = operations;
    while (pending.length > 0 && (failOnErrors === undefined || errors < failOnErrors)) {
      const waiting: BulkOperation[] = [];
      for (const op of pending) {
        if (failOnErrors !== undefined && errors >= failOnErrors) break;
        const refs = [...pathReferences(op.path), ...references(op.data)];
        if (refs.some((r) => failedIds.has(r) || !operations.some((o) => o.bulkId === r))) {
          outcomes.set(op.index, failure(op, new ScimError(409, 'the operation refers to a bulkId that was not created')));
          if (op.bulkId) failedIds.add(op.bulkId);
          errors++;
          continue;
        }
        if (refs.some((r) => !ids.has(r))) {
          waiting.push(op);
          continue;
        }
        const outcome = await this.execute(caller, { ...op, path: substitutePath(op.path, ids), data: substitute(op.data, ids) });
        outcomes.set(op.index, outcome.result);
        if (outcome.createdId && op.bulkId) ids.set(op.bulkId, outcome.createdId);
        if (Number(outcome.result.status) >= 400) {
          errors++;
          if (op.bulkId) failedIds.add(op.bulkId);
        }
      }
      if (waiting.length === pending.length) {
        // Nothing could run: the remaining operations wait on each other.
        for (const op of waiting) {
          outcomes.set(op.index, failure(op, new ScimError(409, 'circular bulkId references')));
          errors++;
        }
        break;
      }
      pending = waiting.filter((op) => !outcomes.has(op.index));
    }
    return {
      schemas: [BULK_RESPONSE_SCHEMA],
      Operations: [...outcomes.entries()].sort(([a], [b]) => a - b).map(([, o]) => o),
    };
  }

  private async execute(caller: ScimCaller, op: BulkOperation): Promise<{ result: BulkOutcome; createdId?: string }> {
    try {
      const match = /^\/(Users|Groups)(?:\/([^/]+))?$/i.exec(op.path);
      if (!match) throw ScimError.invalidPath(`unsupported bulk path ${JSON.stringify(op.path).slice(0, 200)}`);
      const service = match[1].toLowerCase() === 'users' ? this.users : this.groups;
      const id = match[2] ? decodePathId(match[2]) : undefined;
      if ((op.method === 'POST') !== (id === undefined))
        throw ScimError.invalidPath(`${op.method} needs ${op.method === 'POST' ? 'a collection' : 'a resource'} path`);
      const done = (status: number, w?: Written): BulkOutcome => ({
        method: op.method,
        ...(op.bulkId ? { bulkId: op.bulkId } : {}),
        ...(w ? { version: etag(w.version), location: w.location } : {}),
        status: String(status),
      });
      switch (op.method) {
        case 'POST': {
          const w = await service.create(caller, op.data);
          return { result: done(201, w), createdId: w.id };
        }
        case 'PUT':
          return { result: done(200, await service.replace(caller, id!, op.data, op.version)) };
        case 'PATCH':
          return { result: done(200, await service.patch(caller, id!, op.data, op.version)) };
        case 'DELETE':
          await service.delete(caller, id!, op.version);
          return { result: { ...done(204), location: `${caller.baseUrl}/${match[1]}/${id}` } };
      }
    } catch (e) {
      const error = toScimError(e);
      if (error) return { result: failure(op, error) };
      // Earlier operations have committed (a bulk request is not atomic): failing the whole
      // request would hide them from the client, so a fault is this operation's 500 alone.
      log.error(`bulk operation ${op.index} (${op.method}): ${(e as Error)?.stack ?? String(e)}`);
      return { result: failure(op, new ScimError(500, 'the service failed to handle this operation; it has been logged')) };
    }
  }
}
