/**
 * Output shaping: the "returned" characteristic (RFC 7643 §2.2) and the "attributes" /
 * "excludedAttributes" parameters (RFC 7644 §3.4.2.5, §3.9).
 *
 * Strict out: only attributes the schema defines are emitted, in canonical spelling.
 */
import { isJsonObject, type JsonObject } from './coerce-value.js';
import type { AttributeDefinition } from './definitions.js';
import { attributeContainer, findKey } from './resource-object.js';
import type { ResourceSchema, SchemaInResource } from './resource-schema.js';

export interface AttributeSelection {
  /** Comma-separated list (the query parameter) or already-split names. */
  readonly attributes?: string | readonly string[];
  readonly excludedAttributes?: string | readonly string[];
}

/** Selected names: "" for a whole schema, "attr" for an attribute, "attr.sub" for one sub-attribute. */
type Selected = Map<SchemaInResource, Set<string>>;

function splitList(list: string | readonly string[] | undefined): string[] {
  if (list === undefined) return [];
  const items = typeof list === 'string' ? list.split(',') : list;
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Microsoft's test collection sends attributes=emails[type eq "work"]; a filter is not part of
 * an attribute name (RFC 7644 §3.10), so it selects the attribute it is attached to.
 */
function withoutValueFilter(name: string): string {
  return name.replace(/\[[^\]]*\]/g, '');
}

function select(list: string | readonly string[] | undefined, schema: ResourceSchema): Selected | undefined {
  const names = splitList(list);
  if (names.length === 0) return undefined;
  const selected: Selected = new Map();
  for (const name of names) {
    const resolved = schema.resolveText(withoutValueFilter(name));
    if (!resolved) continue;
    const set = selected.get(resolved.owner) ?? new Set<string>();
    selected.set(resolved.owner, set);
    if (!resolved.attribute) set.add('');
    else set.add(resolved.subAttribute ? `${resolved.attribute.name}.${resolved.subAttribute.name}` : resolved.attribute.name);
  }
  return selected;
}

function keepSubAttributes(attribute: AttributeDefinition, value: unknown, keep: (sub: AttributeDefinition) => boolean): unknown {
  const shapeOne = (element: unknown): unknown => {
    if (!isJsonObject(element)) return element;
    const out: JsonObject = {};
    for (const sub of attribute.subAttributes ?? []) {
      const key = findKey(element, sub.name);
      if (key !== undefined && element[key] !== undefined && sub.returned !== 'never' && keep(sub)) out[sub.name] = element[key];
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  if (Array.isArray(value)) {
    const list = value.map(shapeOne).filter((v) => v !== undefined);
    return list.length > 0 ? list : undefined;
  }
  return shapeOne(value);
}

function shapeAttribute(
  owner: SchemaInResource,
  attribute: AttributeDefinition,
  value: unknown,
  included: Selected | undefined,
  excluded: Selected | undefined,
): unknown {
  if (attribute.returned === 'never') return undefined;
  const name = attribute.name;
  const subNamed = (set: Set<string> | undefined, sub: AttributeDefinition) => set?.has(`${name}.${sub.name}`) ?? false;
  if (attribute.returned === 'always') return attribute.type === 'complex' ? keepSubAttributes(attribute, value, () => true) : value;
  const inc = included?.get(owner);
  const exc = excluded?.get(owner);
  if (included) {
    if (inc?.has('') || inc?.has(name)) return attribute.type === 'complex' ? keepSubAttributes(attribute, value, () => true) : value;
    if (attribute.type !== 'complex') return undefined;
    return keepSubAttributes(attribute, value, (sub) => sub.returned === 'always' || subNamed(inc, sub));
  }
  if (attribute.returned === 'request') return undefined;
  if (exc?.has(name) || exc?.has('')) return undefined;
  if (attribute.type !== 'complex') return value;
  return keepSubAttributes(attribute, value, (sub) => sub.returned === 'always' || (sub.returned !== 'request' && !subNamed(exc, sub)));
}

/**
 * The representation to return: "returned: never" values removed, "request" ones only when
 * asked for, "always" ones always, and the client's attributes/excludedAttributes applied
 * (attributes wins when both are given, RFC 7644 §3.4.2.5 lets a server choose).
 */
export function shapeResource(resource: JsonObject, schema: ResourceSchema, selection: AttributeSelection = {}): JsonObject {
  const included = select(selection.attributes, schema);
  const excluded = included ? undefined : select(selection.excludedAttributes, schema);
  const out: JsonObject = {};
  const present: string[] = [];
  for (const owner of [schema.core, ...schema.extensions]) {
    const container = attributeContainer(resource, owner, false);
    if (!container) continue;
    const shaped: JsonObject = {};
    for (const attribute of schema.attributesOf(owner)) {
      const key = findKey(container, attribute.name);
      if (key === undefined) continue;
      const value = shapeAttribute(owner, attribute, container[key], included, excluded);
      if (value !== undefined && value !== null) shaped[attribute.name] = value;
    }
    if (owner.isCore) Object.assign(out, shaped);
    else if (Object.keys(shaped).length > 0) {
      out[owner.schema.id] = shaped;
      present.push(owner.schema.id);
    }
  }
  return { schemas: [schema.core.schema.id, ...present], ...out };
}
