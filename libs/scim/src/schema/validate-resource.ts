/**
 * Validation of a resource sent with POST (RFC 7644 §3.3) or PUT (§3.5.1).
 *
 * The result holds only what the client may assert, in canonical spelling: readOnly
 * attributes are ignored (RFC 7643 §2.2 "any values provided SHALL be ignored"), unknown
 * attributes are dropped (tolerant in), an unknown schema URN is an error (we cannot tell
 * what the client meant). The app adds id, meta and other server-owned values.
 */
import { ScimError } from '../errors.js';
import { coerceAttributeValue, isJsonObject, type JsonObject } from './coerce-value.js';
import type { AttributeDefinition } from './definitions.js';
import { attributeContainer } from './resource-object.js';
import type { ResourceSchema, SchemaInResource } from './resource-schema.js';
import { attributeValueEqual } from './value-equality.js';

export interface ValidateResourceOptions {
  /** The stored resource a PUT replaces: immutable attributes must keep their values. */
  readonly existing?: JsonObject;
}

function schemasOf(input: JsonObject, schema: ResourceSchema): SchemaInResource[] | undefined {
  const key = Object.keys(input).find((k) => k.toLowerCase() === 'schemas');
  if (key === undefined) return undefined;
  const list = input[key];
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
    throw ScimError.invalidSyntax('"schemas" must be an array of schema URNs');
  }
  const owners = list.map((uri: string) => {
    const owner = schema.findSchema(uri);
    if (!owner) throw ScimError.invalidValue(`unknown schema URN ${JSON.stringify(uri).slice(0, 200)} for ${schema.name}`);
    return owner;
  });
  if (!owners.some((o) => o.isCore)) {
    throw ScimError.invalidValue(`"schemas" must contain ${schema.core.schema.id}`);
  }
  return owners;
}

function isKnownUriPrefix(key: string, schema: ResourceSchema): boolean {
  if (schema.findSchema(key)) return true;
  const colon = key.lastIndexOf(':');
  return colon > 0 && schema.findSchema(key.slice(0, colon)) !== undefined;
}

/**
 * writeOnly attributes (password) are dropped too: this service authenticates through the
 * IdP only (changePassword: false), so it keeps no secret it would never use.
 */
function isIgnoredOnInput(attribute: AttributeDefinition): boolean {
  return attribute.mutability === 'readOnly' || attribute.mutability === 'writeOnly';
}

function assign(out: JsonObject, owner: SchemaInResource, attribute: AttributeDefinition, raw: unknown, where: string): void {
  if (isIgnoredOnInput(attribute)) return;
  const value = coerceAttributeValue(attribute, raw, where);
  if (value === undefined) return;
  attributeContainer(out, owner, true)[attribute.name] = value;
}

function assignSub(
  out: JsonObject,
  owner: SchemaInResource,
  attribute: AttributeDefinition,
  sub: AttributeDefinition,
  raw: unknown,
  where: string,
): void {
  // A dotted key ("name.givenName") only makes sense for a single-valued complex attribute.
  if (attribute.multiValued || isIgnoredOnInput(attribute) || isIgnoredOnInput(sub)) return;
  const value = coerceAttributeValue(sub, raw, where);
  if (value === undefined) return;
  const container = attributeContainer(out, owner, true);
  const parent = isJsonObject(container[attribute.name]) ? (container[attribute.name] as JsonObject) : {};
  parent[sub.name] = value;
  container[attribute.name] = parent;
}

function readObject(out: JsonObject, owner: SchemaInResource, object: unknown, schema: ResourceSchema, where: string): void {
  if (object === null || object === undefined) return;
  if (!isJsonObject(object)) throw ScimError.invalidValue(`${where} must be an object`);
  for (const [key, raw] of Object.entries(object)) {
    const attribute = schema.findAttribute(owner, key);
    if (attribute) assign(out, owner, attribute, raw, owner.isCore ? attribute.name : `${owner.schema.id}:${attribute.name}`);
  }
}

function checkImmutable(out: JsonObject, existing: JsonObject, schema: ResourceSchema): void {
  for (const owner of [schema.core, ...schema.extensions]) {
    const before = attributeContainer(existing, owner, false);
    if (!before) continue;
    for (const attribute of schema.attributesOf(owner)) {
      if (attribute.mutability !== 'immutable') continue;
      const old = before[attribute.name];
      if (old === undefined) continue;
      const now = attributeContainer(out, owner, false)?.[attribute.name];
      if (now === undefined) {
        // Omitted means "not asserted" (RFC 7644 §3.5.1); the value it already has stays.
        attributeContainer(out, owner, true)[attribute.name] = old;
      } else if (!attributeValueEqual(attribute, old, now)) {
        throw ScimError.mutability(`${attribute.name} is immutable and already set`);
      }
    }
  }
}

function checkRequired(out: JsonObject, schema: ResourceSchema): void {
  for (const owner of [schema.core, ...schema.extensions]) {
    const container = attributeContainer(out, owner, false);
    if (!container) {
      if (owner.required) throw ScimError.invalidValue(`the extension ${owner.schema.id} is required`);
      continue;
    }
    for (const attribute of schema.attributesOf(owner)) {
      if (isIgnoredOnInput(attribute)) continue;
      const value = container[attribute.name];
      if (attribute.required && value === undefined) {
        throw ScimError.invalidValue(`the attribute ${attribute.name} is required`);
      }
      const requiredSubs = (attribute.subAttributes ?? []).filter((s) => s.required && s.mutability !== 'readOnly');
      const elements = Array.isArray(value) ? value : value === undefined ? [] : [value];
      for (const element of elements) {
        for (const sub of requiredSubs) {
          if (!isJsonObject(element) || element[sub.name] === undefined) {
            throw ScimError.invalidValue(`the sub-attribute ${attribute.name}.${sub.name} is required`);
          }
        }
      }
    }
  }
}

/**
 * Validate and canonicalise a POST or PUT body. Returns the client-writable part of the
 * resource with "schemas" first; throws ScimError (invalidSyntax, invalidValue, mutability).
 */
export function validateResourceInput(input: unknown, schema: ResourceSchema, options: ValidateResourceOptions = {}): JsonObject {
  if (!isJsonObject(input)) throw ScimError.invalidSyntax('the request body must be a JSON object');
  schemasOf(input, schema);
  const out: JsonObject = {};
  for (const [key, raw] of Object.entries(input)) {
    if (key.toLowerCase() === 'schemas') continue;
    const owner = schema.findSchema(key);
    if (owner) {
      readObject(out, owner, raw, schema, owner.schema.id);
      continue;
    }
    const resolved = schema.resolveText(key);
    if (!resolved?.attribute) {
      if (/^urn:/i.test(key) && !isKnownUriPrefix(key, schema)) {
        throw ScimError.invalidValue(`unknown schema URN in attribute ${JSON.stringify(key).slice(0, 200)}`);
      }
      continue;
    }
    if (resolved.subAttribute) assignSub(out, resolved.owner, resolved.attribute, resolved.subAttribute, raw, key);
    else assign(out, resolved.owner, resolved.attribute, raw, key);
  }
  if (options.existing) checkImmutable(out, options.existing, schema);
  checkRequired(out, schema);
  const present = schema.extensions.filter((e) => attributeContainer(out, e, false) !== undefined);
  return { schemas: [schema.core.schema.id, ...present.map((e) => e.schema.id)], ...out };
}
