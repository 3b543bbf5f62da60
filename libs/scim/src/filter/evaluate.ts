/**
 * In-memory evaluation of a filter against a resource (RFC 7644 §3.4.2.2 semantics): used
 * by the PATCH engine for value-path filters and by tests as the reference for to-sql.ts.
 *
 * A multi-valued attribute matches when any of its values does; "ne" is the negation of
 * "eq" over the whole attribute; comparing a multi-valued complex attribute without a
 * sub-attribute compares its "value" sub-attribute. Strings compare case-insensitively
 * unless the attribute is caseExact; gt/ge/lt/le on booleans or binary data are
 * invalidFilter (Table 3).
 */
import { ScimError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../schema/coerce-value.js';
import { parseDateTime } from '../schema/date-time.js';
import type { AttributeDefinition } from '../schema/definitions.js';
import { attributeContainer, getCaseInsensitive } from '../schema/resource-object.js';
import type { ResourceSchema } from '../schema/resource-schema.js';
import { formatAttrPath, type AttrPath } from './attr-path.js';
import type { CompValue, CompareOperator, Filter } from './ast.js';

/** Where paths are looked up: the resource, or one element of a multi-valued complex attribute. */
type Scope =
  | { readonly kind: 'resource'; readonly resource: JsonObject; readonly schema: ResourceSchema }
  | { readonly kind: 'element'; readonly element: unknown; readonly parent: AttributeDefinition };

interface Operand {
  readonly def: AttributeDefinition;
  readonly values: unknown[];
}

function unknownAttribute(path: AttrPath): ScimError {
  return ScimError.invalidFilter(`invalid filter: unknown attribute ${JSON.stringify(formatAttrPath(path)).slice(0, 200)}`);
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function subValues(elements: unknown[], sub: AttributeDefinition): unknown[] {
  return elements.flatMap((e) => (isJsonObject(e) ? asList(getCaseInsensitive(e, sub.name)) : []));
}

/** The attribute a path names and its present values; `forCompare` turns `emails` into `emails.value`. */
function operand(path: AttrPath, scope: Scope, forCompare: boolean): Operand {
  let def: AttributeDefinition;
  let values: unknown[];
  if (scope.kind === 'element') {
    const sub =
      path.uri === undefined && path.subAttr === undefined
        ? scope.parent.subAttributes?.find((s) => s.name.toLowerCase() === path.name.toLowerCase())
        : undefined;
    if (!sub) throw unknownAttribute(path);
    def = sub;
    values = subValues([scope.element], sub);
  } else {
    const resolved = scope.schema.resolve(path);
    if (!resolved?.attribute) throw unknownAttribute(path);
    const container = attributeContainer(scope.resource, resolved.owner, false);
    const elements = asList(container ? getCaseInsensitive(container, resolved.attribute.name) : undefined);
    if (resolved.subAttribute) {
      def = resolved.subAttribute;
      values = subValues(elements, resolved.subAttribute);
    } else {
      def = resolved.attribute;
      values = elements;
    }
  }
  if (forCompare && def.type === 'complex') {
    const valueSub = def.subAttributes?.find((s) => s.name === 'value');
    if (!valueSub) throw ScimError.invalidFilter(`invalid filter: ${def.name} is complex and has no "value" to compare`);
    return { def: valueSub, values: subValues(values, valueSub) };
  }
  return { def, values };
}

type Expected =
  | { readonly kind: 'null' }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'dateTime'; readonly value: number; readonly text: string };

const ORDERING: readonly CompareOperator[] = ['gt', 'ge', 'lt', 'le'];
const SUBSTRING: readonly CompareOperator[] = ['co', 'sw', 'ew'];

/**
 * The comparison value converted to the attribute's type, or invalidFilter. Shared with
 * to-sql.ts through the same rules so both agree on what a filter means.
 */
export function expectedValue(type: AttributeDefinition['type'], op: CompareOperator, value: CompValue, name: string): Expected {
  const bad = (why: string) => ScimError.invalidFilter(`invalid filter: ${name} ${op} ${JSON.stringify(value)}: ${why}`);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw bad('null can only be compared with eq or ne');
    return { kind: 'null' };
  }
  switch (type) {
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw bad('booleans only support eq and ne');
      const b = typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
      if (typeof b !== 'boolean') throw bad('expected true or false');
      return { kind: 'boolean', value: b };
    }
    case 'integer':
    case 'decimal': {
      if (SUBSTRING.includes(op)) throw bad('numbers do not support co, sw or ew');
      const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number') throw bad('expected a number');
      return { kind: 'number', value: n };
    }
    case 'dateTime': {
      if (typeof value !== 'string') throw bad('expected a dateTime string');
      if (SUBSTRING.includes(op)) return { kind: 'string', value };
      const instant = parseDateTime(value);
      if (instant === undefined) throw bad('not an xsd:dateTime');
      return { kind: 'dateTime', value: instant, text: value };
    }
    case 'binary':
      if (ORDERING.includes(op)) throw bad('binary values cannot be ordered');
      if (typeof value !== 'string') throw bad('expected a string');
      return { kind: 'string', value };
    case 'complex':
      throw bad('complex attributes cannot be compared');
    default:
      if (typeof value === 'boolean') throw bad('expected a string');
      return { kind: 'string', value: String(value) };
  }
}

function compareOne(def: AttributeDefinition, op: CompareOperator, actual: unknown, expected: Expected): boolean {
  switch (expected.kind) {
    case 'null':
      return false;
    case 'boolean':
      return actual === expected.value;
    case 'number': {
      if (typeof actual !== 'number') return false;
      return ordered(op, actual - expected.value);
    }
    case 'dateTime': {
      const instant = typeof actual === 'string' ? parseDateTime(actual) : undefined;
      return instant !== undefined && ordered(op, instant - expected.value);
    }
    case 'string': {
      if (typeof actual !== 'string') return false;
      const fold = (s: string) => (def.caseExact ? s : s.toLowerCase());
      const a = fold(actual);
      const e = fold(expected.value);
      if (op === 'co') return a.includes(e);
      if (op === 'sw') return a.startsWith(e);
      if (op === 'ew') return a.endsWith(e);
      return ordered(op, a < e ? -1 : a > e ? 1 : 0);
    }
  }
}

function ordered(op: CompareOperator, sign: number): boolean {
  switch (op) {
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    default:
      return sign === 0;
  }
}

function isNonEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isJsonObject(value)) return Object.values(value).some(isNonEmpty);
  return true;
}

function evaluateIn(filter: Filter, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluateIn(filter.left, scope) && evaluateIn(filter.right, scope);
    case 'or':
      return evaluateIn(filter.left, scope) || evaluateIn(filter.right, scope);
    case 'not':
      return !evaluateIn(filter.filter, scope);
    case 'present':
      return operand(filter.path, scope, false).values.some(isNonEmpty);
    case 'compare': {
      const { def, values } = operand(filter.path, scope, true);
      const expected = expectedValue(def.type, filter.op, filter.value, formatAttrPath(filter.path));
      if (expected.kind === 'null') return (filter.op === 'eq') === (values.length === 0);
      if (filter.op === 'ne') return !values.some((v) => compareOne(def, 'eq', v, expected));
      return values.some((v) => compareOne(def, filter.op, v, expected));
    }
    case 'valuePath': {
      if (scope.kind === 'element') throw ScimError.invalidFilter('invalid filter: nested value filter');
      const { def, values } = operand(filter.path, scope, false);
      if (def.type !== 'complex') throw ScimError.invalidFilter(`invalid filter: ${def.name} is not a complex attribute`);
      return values.some((element) => evaluateIn(filter.filter, { kind: 'element', element, parent: def }));
    }
  }
}

/** Whether a resource matches a filter. Throws ScimError invalidFilter for unknown attributes or type mismatches. */
export function evaluateFilter(filter: Filter, resource: JsonObject, schema: ResourceSchema): boolean {
  return evaluateIn(filter, { kind: 'resource', resource, schema });
}

/** Whether one element of a multi-valued complex attribute matches a value filter (the part inside "[...]"). */
export function evaluateValueFilter(filter: Filter, element: unknown, parent: AttributeDefinition): boolean {
  return evaluateIn(filter, { kind: 'element', element, parent });
}
