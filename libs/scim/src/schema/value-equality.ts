/**
 * Equality of attribute values under the attribute's schema: strings compare
 * case-insensitively unless caseExact (RFC 7643 §2.3.1), dateTimes by instant, multi-valued
 * attributes as sets. Used for immutable checks, multi-valued de-duplication and change
 * summaries.
 */
import { parseDateTime } from './date-time.js';
import type { AttributeDefinition } from './definitions.js';
import { isJsonObject } from './coerce-value.js';

function scalarEqual(def: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' && typeof b === 'string') {
    if (def.type === 'dateTime') {
      const x = parseDateTime(a);
      return x !== undefined && x === parseDateTime(b);
    }
    return def.caseExact ? a === b : a.toLowerCase() === b.toLowerCase();
  }
  return a === b;
}

/** Equality of one value (one element of a multi-valued attribute). */
export function singleValueEqual(def: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (def.type !== 'complex') return scalarEqual(def, a, b);
  if (!isJsonObject(a) || !isJsonObject(b)) return (a ?? null) === (b ?? null);
  return (def.subAttributes ?? []).every((sub) => scalarEqual(sub, a[sub.name], b[sub.name]));
}

export function attributeValueEqual(def: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (!def.multiValued) return singleValueEqual(def, a, b);
  const xs = Array.isArray(a) ? a : a === undefined || a === null ? [] : [a];
  const ys = Array.isArray(b) ? b : b === undefined || b === null ? [] : [b];
  if (xs.length !== ys.length) return false;
  const unmatched = [...ys];
  for (const x of xs) {
    const i = unmatched.findIndex((y) => singleValueEqual(def, x, y));
    if (i < 0) return false;
    unmatched.splice(i, 1);
  }
  return true;
}

/**
 * Whether two elements of a multi-valued attribute are "the same value" for de-duplication
 * on add (RFC 7644 §3.5.2.1): the same "value" (and "type" when either has one) for
 * attributes with a "value" sub-attribute, full equality otherwise.
 */
export function sameElement(def: AttributeDefinition, a: unknown, b: unknown): boolean {
  const valueSub = def.subAttributes?.find((s) => s.name === 'value');
  if (!valueSub || !isJsonObject(a) || !isJsonObject(b) || a.value === undefined) return singleValueEqual(def, a, b);
  const typeSub = def.subAttributes?.find((s) => s.name === 'type');
  // A type narrows the match only when both sides name one: Entra removes members by value alone.
  if (typeSub && a.type !== undefined && b.type !== undefined && !scalarEqual(typeSub, a.type, b.type)) return false;
  return scalarEqual(valueSub, a.value, b.value);
}
