/**
 * Reaching into a resource's JSON: core attributes sit at the top level, extension
 * attributes under the extension's URN (RFC 7643 §3.3). Clients may spell keys in any case.
 */
import { isJsonObject, type JsonObject } from './coerce-value.js';
import type { SchemaInResource } from './resource-schema.js';

/** The actual key of an object matching a name case-insensitively. */
export function findKey(object: JsonObject, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((k) => k.toLowerCase() === lower);
}

export function getCaseInsensitive(object: JsonObject, name: string): unknown {
  const key = findKey(object, name);
  return key === undefined ? undefined : object[key];
}

/** The object holding a schema's attributes, created on demand when `create` is set. */
export function attributeContainer(resource: JsonObject, owner: SchemaInResource, create: false): JsonObject | undefined;
export function attributeContainer(resource: JsonObject, owner: SchemaInResource, create: true): JsonObject;
export function attributeContainer(resource: JsonObject, owner: SchemaInResource, create: boolean): JsonObject | undefined {
  if (owner.isCore) return resource;
  const key = findKey(resource, owner.schema.id);
  const existing = key === undefined ? undefined : resource[key];
  if (isJsonObject(existing)) return existing;
  if (!create) return undefined;
  const made: JsonObject = {};
  resource[owner.schema.id] = made;
  return made;
}
