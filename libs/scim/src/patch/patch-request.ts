/**
 * The PATCH request message, RFC 7644 §3.5.2: {"schemas": [PatchOp], "Operations": [...]}.
 *
 * Tolerant in: "op" in any case (Entra sends "Replace", "Add", "Remove"), member names of
 * the message in any case, extra members ignored (Microsoft's collection sends "name").
 */
import { ScimError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../schema/coerce-value.js';
import { getCaseInsensitive } from '../schema/resource-object.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  readonly op: PatchOpName;
  readonly path?: string;
  /** Absent when the client sent no "value" member. */
  readonly value?: unknown;
}

export interface ParsePatchOptions {
  /** Most operations accepted in one request. Default 1000. */
  readonly maxOperations?: number;
}

function readOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isJsonObject(raw)) throw ScimError.invalidSyntax(`${where} must be an object`);
  const op = getCaseInsensitive(raw, 'op');
  const name = typeof op === 'string' ? op.toLowerCase() : undefined;
  if (name !== 'add' && name !== 'remove' && name !== 'replace') {
    throw ScimError.invalidSyntax(`${where}.op must be "add", "remove" or "replace"`);
  }
  const path = getCaseInsensitive(raw, 'path');
  if (path !== undefined && path !== null && typeof path !== 'string') throw ScimError.invalidPath(`${where}.path must be a string`);
  const hasValue = Object.keys(raw).some((k) => k.toLowerCase() === 'value');
  if (!hasValue && name !== 'remove') throw ScimError.invalidSyntax(`${where}: "${name}" needs a value`);
  const operation: { op: PatchOpName; path?: string; value?: unknown } = { op: name };
  if (typeof path === 'string' && path.trim() !== '') operation.path = path;
  if (hasValue) operation.value = getCaseInsensitive(raw, 'value');
  return operation;
}

/** Validate a PATCH body and return its operations. Throws ScimError invalidSyntax/invalidPath/tooMany. */
export function parsePatchRequest(body: unknown, options: ParsePatchOptions = {}): PatchOperation[] {
  if (!isJsonObject(body)) throw ScimError.invalidSyntax('the PATCH body must be a JSON object');
  const schemas = getCaseInsensitive(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw ScimError.invalidSyntax(`"schemas" must contain ${PATCH_OP_SCHEMA}`);
  }
  const operations = getCaseInsensitive(body as JsonObject, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw ScimError.invalidSyntax('"Operations" must be a non-empty array');
  }
  const max = options.maxOperations ?? 1000;
  if (operations.length > max) throw ScimError.tooMany(`more than ${max} PATCH operations`);
  return operations.map(readOperation);
}
