/**
 * Client values → canonical values of the attribute's RFC 7643 §2.3 type.
 *
 * Tolerances, each seen from Okta or Entra: string booleans ("True", "False"), numbers for
 * strings, a bare value for a complex attribute with a "value" sub-attribute (Entra's
 * manager, Microsoft's member ids), a single value for a multi-valued attribute, sub-attribute
 * names in any case ("Primary"). null means unassigned (RFC 7643 §2.5) and is dropped.
 * Read-only sub-attributes are dropped: clients cannot set them (RFC 7643 §2.2).
 */
import { ScimError } from '../errors.js';
import { parseDateTime } from './date-time.js';
import type { AttributeDefinition } from './definitions.js';
import { findInputSubAttribute } from './input-dialect.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return 'an array';
  if (raw === null) return 'null';
  return typeof raw === 'object' ? 'an object' : `${typeof raw} ${JSON.stringify(raw)}`.slice(0, 80);
}

function invalid(where: string, type: string, raw: unknown): ScimError {
  return ScimError.invalidValue(`${where} must be ${type}, not ${describe(raw)}`);
}

/** A single (non-complex) value; undefined when null. */
function coerceScalar(def: AttributeDefinition, raw: unknown, where: string): unknown {
  if (raw === null || raw === undefined) return undefined;
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      // U+0000 cannot be stored in PostgreSQL text and has no business in an identity attribute.
      if (typeof raw === 'string') {
        if (raw.includes('\u0000')) throw ScimError.invalidValue(`${where} contains U+0000`);
        return raw;
      }
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      throw invalid(where, 'a string', raw);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
      throw invalid(where, 'a boolean', raw);
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
      throw invalid(where, 'an integer', raw);
    }
    case 'decimal': {
      const n = typeof raw === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isFinite(n)) return n;
      throw invalid(where, 'a decimal', raw);
    }
    case 'dateTime':
      if (typeof raw === 'string' && parseDateTime(raw) !== undefined) return raw;
      throw invalid(where, 'an xsd:dateTime', raw);
    case 'complex':
      throw invalid(where, 'a complex value', raw);
  }
}

export interface CoerceOptions {
  /** Keep read-only sub-attributes (to compare a client's value with a read-only one). */
  readonly keepReadOnly?: boolean;
}

/** One value of the attribute (one element when multi-valued); undefined when empty. */
export function coerceSingleValue(def: AttributeDefinition, raw: unknown, where: string, options: CoerceOptions = {}): unknown {
  if (def.type !== 'complex') return coerceScalar(def, raw, where);
  if (raw === null || raw === undefined) return undefined;
  if (!isJsonObject(raw)) {
    if (typeof raw !== 'object' && findInputSubAttribute(def, 'value')) {
      return coerceSingleValue(def, { value: raw }, where, options);
    }
    throw invalid(where, 'an object', raw);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const sub = findInputSubAttribute(def, key);
    if (!sub || (sub.mutability === 'readOnly' && !options.keepReadOnly)) continue;
    const coerced = coerceScalar(sub, value, `${where}.${sub.name}`);
    if (coerced !== undefined) out[sub.name] = coerced;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** RFC 7643 §2.4: the primary value "true" MUST appear no more than once. */
export function countPrimary(values: readonly unknown[]): number {
  return values.filter((v) => isJsonObject(v) && v.primary === true).length;
}

/** The whole attribute value; undefined when unassigned (null, empty array, empty object). */
export function coerceAttributeValue(def: AttributeDefinition, raw: unknown, where: string, options: CoerceOptions = {}): unknown {
  if (!def.multiValued) {
    if (Array.isArray(raw)) {
      if (raw.length > 1) throw invalid(where, 'a single value', raw);
      return coerceSingleValue(def, raw[0], where, options);
    }
    return coerceSingleValue(def, raw, where, options);
  }
  const list = Array.isArray(raw) ? raw : raw === null || raw === undefined ? [] : [raw];
  const values = list.map((v, i) => coerceSingleValue(def, v, `${where}[${i}]`, options)).filter((v) => v !== undefined);
  if (countPrimary(values) > 1) throw ScimError.invalidValue(`${where}: more than one value is primary`);
  return values.length > 0 ? values : undefined;
}
