/**
 * What a PATCH or PUT changed, in the terms the app's use cases key off: deprovisioning
 * runs when "active" goes to false, entitlement checks when group members change.
 */
import type { JsonObject } from './schema/coerce-value.js';
import { isJsonObject } from './schema/coerce-value.js';
import { attributeContainer, findKey } from './schema/resource-object.js';
import type { ResourceSchema } from './schema/resource-schema.js';
import { attributeValueEqual } from './schema/value-equality.js';

export interface ResourceChanges {
  /** Whether any attribute value differs. */
  readonly changed: boolean;
  /** Canonical paths of the client-writable top-level attributes whose values differ. */
  readonly attributes: readonly string[];
  /** Present when "active" changed. */
  readonly active?: { readonly before: boolean | undefined; readonly after: boolean | undefined };
  /** "active" went from true (or unset) to false. */
  readonly deactivated: boolean;
  /** "active" went from false to true. */
  readonly reactivated: boolean;
  /** Present when "members" changed: member ids ("value") added and removed. */
  readonly members?: { readonly added: readonly string[]; readonly removed: readonly string[] };
}

function memberIds(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((m) => (isJsonObject(m) && typeof m.value === 'string' ? [m.value] : []));
}

function get(container: JsonObject | undefined, name: string): unknown {
  if (!container) return undefined;
  const key = findKey(container, name);
  return key === undefined ? undefined : container[key];
}

/**
 * Compare two representations (before and after a PATCH, or the stored resource and a
 * validated PUT body). readOnly attributes are ignored, so a PUT body without id and meta
 * compares cleanly with the stored resource.
 */
export function summarizeChanges(before: JsonObject, after: JsonObject, schema: ResourceSchema): ResourceChanges {
  const attributes: string[] = [];
  for (const owner of [schema.core, ...schema.extensions]) {
    const a = attributeContainer(before, owner, false);
    const b = attributeContainer(after, owner, false);
    for (const attribute of schema.attributesOf(owner)) {
      // Server-owned values (id, meta, groups, devices) are not something a client changed.
      if (attribute.mutability === 'readOnly') continue;
      if (!attributeValueEqual(attribute, get(a, attribute.name), get(b, attribute.name))) {
        attributes.push(schema.canonicalPath({ owner, attribute }));
      }
    }
  }
  const activeBefore = get(before, 'active');
  const activeAfter = get(after, 'active');
  const asBool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
  const active = attributes.includes('active') ? { before: asBool(activeBefore), after: asBool(activeAfter) } : undefined;
  let members: ResourceChanges['members'];
  if (attributes.includes('members')) {
    const old = new Set(memberIds(get(before, 'members')));
    const now = new Set(memberIds(get(after, 'members')));
    members = { added: [...now].filter((id) => !old.has(id)), removed: [...old].filter((id) => !now.has(id)) };
  }
  return {
    changed: attributes.length > 0,
    attributes,
    active,
    deactivated: active !== undefined && active.before !== false && active.after === false,
    reactivated: active !== undefined && active.before === false && active.after === true,
    members,
  };
}
