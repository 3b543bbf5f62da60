/**
 * PATCH engine, RFC 7644 §3.5.2: add (§3.5.2.1), remove (§3.5.2.2), replace (§3.5.2.3) on a
 * JSON resource. Pure: the input resource is not modified; the result is the new resource
 * and a summary of what changed, or a ScimError and nothing at all (no partial change).
 *
 * Dialects accepted (tolerant in): Entra's path-less replace with dotted and URN-qualified
 * keys, member removal by a value list, string booleans, a bare value for a complex
 * attribute; Okta's path-less replace of {"active": false} or {"id": ..., "displayName": ...}.
 *
 * Choices where the RFC leaves room or where retries must be idempotent:
 * - remove with a value filter that matches nothing succeeds without change, so an IdP
 *   retrying a member removal is not told the request failed;
 * - add or replace through a filter that matches nothing ("emails[type eq \"work\"].value"
 *   on a user without a work email) adds a value built from the filter's eq terms, as the
 *   RFC does for a replace of an attribute that does not exist; other filters are noTarget;
 * - a readOnly or immutable attribute given the value it already has is not a change (Okta
 *   sends the group's own "id" in a rename); any other change to it is mutability.
 */
import { ScimError } from '../errors.js';
import { summarizeChanges, type ResourceChanges } from '../change-summary.js';
import type { Filter } from '../filter/ast.js';
import { evaluateValueFilter } from '../filter/evaluate.js';
import { parsePatchPath } from '../filter/parse.js';
import { coerceAttributeValue, coerceSingleValue, countPrimary, isJsonObject, type JsonObject } from '../schema/coerce-value.js';
import type { AttributeDefinition, Mutability } from '../schema/definitions.js';
import { attributeContainer, findKey } from '../schema/resource-object.js';
import type { ResourceSchema, SchemaInResource } from '../schema/resource-schema.js';
import { attributeValueEqual, sameElement, singleValueEqual } from '../schema/value-equality.js';
import type { PatchOpName, PatchOperation } from './patch-request.js';

export interface PatchResult {
  readonly resource: JsonObject;
  readonly changes: ResourceChanges;
}

interface Target {
  readonly owner: SchemaInResource;
  readonly attribute: AttributeDefinition;
  readonly sub?: AttributeDefinition;
  readonly filter?: Filter;
  /** The path as the client wrote it, for error messages. */
  readonly text: string;
}

function quote(text: string): string {
  return JSON.stringify(text).slice(0, 200);
}

function effectiveMutability(attribute: AttributeDefinition, sub?: AttributeDefinition): Mutability {
  if (attribute.mutability === 'readOnly') return 'readOnly';
  return sub ? sub.mutability : attribute.mutability;
}

/** RFC 7643 §2.2 mutability against a proposed change from `current` to `next` (undefined = removed). */
function checkMutability(def: AttributeDefinition, mutability: Mutability, current: unknown, next: unknown, text: string): void {
  if (mutability !== 'readOnly' && mutability !== 'immutable') return;
  if (attributeValueEqual(def, current, next)) return;
  if (mutability === 'immutable' && current === undefined) return;
  throw ScimError.mutability(`${quote(text)} is ${mutability} and cannot be changed`);
}

/** Elements an add/replace through an unmatched filter creates: the filter's eq terms. */
function seedFromFilter(filter: Filter, attribute: AttributeDefinition): JsonObject | undefined {
  if (filter.kind === 'and') {
    const left = seedFromFilter(filter.left, attribute);
    const right = left && seedFromFilter(filter.right, attribute);
    return left && right ? { ...left, ...right } : undefined;
  }
  if (filter.kind !== 'compare' || filter.op !== 'eq' || filter.value === null) return undefined;
  if (filter.path.uri !== undefined || filter.path.subAttr !== undefined) return undefined;
  const sub = attribute.subAttributes?.find((s) => s.name.toLowerCase() === filter.path.name.toLowerCase());
  if (!sub) return undefined;
  const value = coerceSingleValue(sub, filter.value, `${attribute.name}.${sub.name}`);
  return value === undefined ? undefined : { [sub.name]: value };
}

class PatchApplier {
  constructor(
    readonly doc: JsonObject,
    readonly schema: ResourceSchema,
  ) {}

  private read(container: JsonObject | undefined, attribute: AttributeDefinition): unknown {
    if (!container) return undefined;
    const key = findKey(container, attribute.name);
    if (key === undefined) return undefined;
    const value = container[key];
    if (key !== attribute.name) {
      delete container[key];
      container[attribute.name] = value;
    }
    return value;
  }

  private write(owner: SchemaInResource, attribute: AttributeDefinition, value: unknown): void {
    const empty = value === undefined || (Array.isArray(value) && value.length === 0) || (isJsonObject(value) && Object.keys(value).length === 0);
    if (empty) {
      const container = attributeContainer(this.doc, owner, false);
      if (container) delete container[attribute.name];
    } else {
      attributeContainer(this.doc, owner, true)[attribute.name] = value;
    }
  }

  apply(operation: PatchOperation): void {
    if (operation.path === undefined) return this.applyWithoutPath(operation.op, operation.value);
    const parsed = parsePatchPath(operation.path);
    const resolved = this.schema.resolve(parsed.path);
    if (!resolved) throw ScimError.invalidPath(`unknown attribute in path ${quote(operation.path)}`);
    if (!resolved.attribute) return this.applyToExtension(operation.op, resolved.owner, operation.value, operation.path);
    let sub = resolved.subAttribute;
    if (parsed.filter) {
      if (!resolved.attribute.multiValued || resolved.attribute.type !== 'complex') {
        throw ScimError.invalidPath(`${quote(operation.path)}: a value filter needs a multi-valued complex attribute`);
      }
      if (parsed.subAttr !== undefined) {
        sub = this.schema.findSubAttribute(resolved.attribute, parsed.subAttr);
        if (!sub) throw ScimError.invalidPath(`unknown sub-attribute in path ${quote(operation.path)}`);
      }
    }
    this.applyTarget(
      operation.op,
      { owner: resolved.owner, attribute: resolved.attribute, sub, filter: parsed.filter, text: operation.path },
      operation.value,
    );
  }

  /** RFC 7644 §3.5.2.1/§3.5.2.3 without "path": the value holds attributes to add or replace. */
  private applyWithoutPath(op: PatchOpName, value: unknown): void {
    if (op === 'remove') throw ScimError.noTarget('remove needs a "path"');
    if (!isJsonObject(value)) throw ScimError.invalidValue(`${op} without "path" needs an object value`);
    for (const [key, raw] of Object.entries(value)) {
      if (key.toLowerCase() === 'schemas') continue;
      const owner = this.schema.findSchema(key);
      if (owner) {
        this.applyToExtension(op, owner, raw, key);
        continue;
      }
      const resolved = this.schema.resolveText(key);
      if (!resolved?.attribute) {
        if (/^urn:/i.test(key)) throw ScimError.invalidPath(`unknown schema or attribute ${quote(key)}`);
        continue; // unknown attributes are ignored, as on POST and PUT
      }
      if (resolved.subAttribute && resolved.attribute.multiValued) {
        throw ScimError.invalidPath(`${quote(key)}: a sub-attribute of a multi-valued attribute needs a value filter`);
      }
      this.applyTarget(op, { owner: resolved.owner, attribute: resolved.attribute, sub: resolved.subAttribute, text: key }, raw);
    }
  }

  private applyToExtension(op: PatchOpName, owner: SchemaInResource, value: unknown, text: string): void {
    const attributes = this.schema.attributesOf(owner);
    if (op === 'remove') {
      for (const attribute of attributes) this.applyTarget('remove', { owner, attribute, text: `${text}:${attribute.name}` }, undefined);
      return;
    }
    if (!isJsonObject(value)) throw ScimError.invalidValue(`${quote(text)} needs an object value`);
    for (const [key, raw] of Object.entries(value)) {
      const attribute = this.schema.findAttribute(owner, key);
      if (attribute) this.applyTarget(op, { owner, attribute, text: `${owner.schema.id}:${attribute.name}` }, raw);
    }
  }

  private applyTarget(op: PatchOpName, target: Target, raw: unknown): void {
    const { attribute } = target;
    // Same rule as POST/PUT: write-only secrets (password) are not kept.
    if (attribute.mutability === 'writeOnly') return;
    const container = attributeContainer(this.doc, target.owner, false);
    const current = this.read(container, attribute);
    if (op !== 'remove' && effectiveMutability(attribute, target.sub) === 'readOnly') {
      return this.assertUnchangedReadOnly(target, current, raw);
    }
    const primariesBefore = attribute.multiValued && Array.isArray(current) ? current.filter((e) => isJsonObject(e) && e.primary === true) : [];
    let next: unknown;
    if (target.filter) next = this.withFilter(op, target, current, raw);
    else if (target.sub) next = this.withSubAttribute(op, target, current, raw);
    else next = this.wholeAttribute(op, target, current, raw);
    if (attribute.multiValued && Array.isArray(next) && countPrimary(next) > 1) {
      // RFC 7644 §3.5.2: setting "primary" on one value clears it on the others.
      for (const element of primariesBefore) if (isJsonObject(element) && countPrimary(next) > 1) element.primary = false;
      if (countPrimary(next) > 1) throw ScimError.invalidValue(`${quote(target.text)}: more than one value is primary`);
    }
    this.write(target.owner, attribute, next);
  }

  /** A read-only value may be "set" only to what it already is (Okta echoes the group id). */
  private assertUnchangedReadOnly(target: Target, current: unknown, raw: unknown): void {
    const { attribute, sub, text } = target;
    if (!target.filter && !(sub && attribute.multiValued)) {
      const def = sub ?? attribute;
      const proposed = coerceAttributeValue(def, raw, text, { keepReadOnly: true });
      const existing = sub ? (isJsonObject(current) ? current[sub.name] : undefined) : current;
      if (attributeValueEqual(def, existing, proposed)) return;
    }
    throw ScimError.mutability(`${quote(text)} is readOnly and cannot be changed`);
  }

  private wholeAttribute(op: PatchOpName, target: Target, current: unknown, raw: unknown): unknown {
    const { attribute, text } = target;
    const mutability = attribute.mutability;
    if (op === 'remove') {
      if (raw !== undefined && raw !== null && attribute.multiValued) {
        // Entra removes members by listing them: {"op":"Remove","path":"members","value":[{"value":"id"}]}
        const removing = (coerceAttributeValue(attribute, raw, text) as unknown[] | undefined) ?? [];
        const list = Array.isArray(current) ? current : [];
        const kept = list.filter((e) => !removing.some((r) => sameElement(attribute, r, e)));
        checkMutability(attribute, mutability, current, kept.length > 0 ? kept : undefined, text);
        return kept;
      }
      checkMutability(attribute, mutability, current, undefined, text);
      return undefined;
    }
    const value = coerceAttributeValue(attribute, raw, text);
    if (value === undefined) {
      // add of nothing changes nothing; replace with null clears (RFC 7643 §2.5 unassigned).
      if (op === 'add') return current;
      checkMutability(attribute, mutability, current, undefined, text);
      return undefined;
    }
    let next: unknown;
    if (attribute.multiValued && op === 'add') {
      const list = Array.isArray(current) ? [...current] : [];
      for (const element of value as unknown[]) {
        if (!list.some((e) => sameElement(attribute, e, element))) list.push(element);
      }
      next = list;
    } else if (!attribute.multiValued && attribute.type === 'complex') {
      // §3.5.2.1 and §3.5.2.3: sub-attributes not given are left unchanged.
      next = { ...(isJsonObject(current) ? current : {}), ...(value as JsonObject) };
      for (const sub of attribute.subAttributes ?? []) {
        const before = isJsonObject(current) ? current[sub.name] : undefined;
        checkMutability(sub, effectiveMutability(attribute, sub), before, (next as JsonObject)[sub.name], `${text}.${sub.name}`);
      }
    } else {
      next = value;
    }
    checkMutability(attribute, mutability, current, next, text);
    return next;
  }

  private withSubAttribute(op: PatchOpName, target: Target, current: unknown, raw: unknown): unknown {
    const { attribute, text } = target;
    const sub = target.sub as AttributeDefinition;
    const mutability = effectiveMutability(attribute, sub);
    const value = op === 'remove' ? undefined : coerceAttributeValue(sub, raw, text);
    if (op === 'add' && value === undefined) return current;
    const setOn = (element: unknown): JsonObject => {
      const object = isJsonObject(element) ? { ...element } : {};
      checkMutability(sub, mutability, object[sub.name], value, text);
      if (value === undefined) delete object[sub.name];
      else object[sub.name] = value;
      return object;
    };
    if (!attribute.multiValued) return setOn(current);
    // "emails.value" without a filter addresses every value of the attribute.
    const list = Array.isArray(current) ? current : [];
    if (list.length === 0) return value === undefined ? undefined : [setOn({})];
    return list.map(setOn).filter((e) => Object.keys(e).length > 0);
  }

  private withFilter(op: PatchOpName, target: Target, current: unknown, raw: unknown): unknown {
    const { attribute, sub, text } = target;
    const filter = target.filter as Filter;
    const list = Array.isArray(current) ? [...current] : [];
    const matched = list.map((e) => evaluateValueFilter(filter, e, attribute));
    const any = matched.includes(true);
    if (op === 'remove') {
      if (!sub) {
        checkMutability(attribute, attribute.mutability, any ? current : undefined, any ? list.filter((_, i) => !matched[i]) : undefined, text);
        return list.filter((_, i) => !matched[i]);
      }
      return list
        .map((e, i) => {
          if (!matched[i] || !isJsonObject(e)) return e;
          checkMutability(sub, effectiveMutability(attribute, sub), e[sub.name], undefined, text);
          const { [sub.name]: _removed, ...rest } = e;
          return rest;
        })
        .filter((e) => !isJsonObject(e) || Object.keys(e).length > 0);
    }
    const value = sub ? coerceAttributeValue(sub, raw, text) : coerceSingleValue(attribute, raw, text);
    if (!any) {
      if (value === undefined) return current;
      const seed = seedFromFilter(filter, attribute);
      if (!seed) throw ScimError.noTarget(`${quote(text)} matches no value`);
      const element = sub ? { ...seed, [sub.name]: value } : { ...seed, ...(value as JsonObject) };
      checkMutability(attribute, attribute.mutability, undefined, [element], text);
      return [...list, element];
    }
    return list
      .map((e, i) => {
        if (!matched[i]) return e;
        const element = isJsonObject(e) ? e : {};
        let next: JsonObject;
        if (sub) {
          next = { ...element };
          if (value === undefined) delete next[sub.name];
          else next[sub.name] = value;
        } else if (value === undefined) {
          return undefined;
        } else {
          next = op === 'add' ? { ...element, ...(value as JsonObject) } : (value as JsonObject);
        }
        for (const s of attribute.subAttributes ?? []) {
          const mutability = effectiveMutability(attribute, s);
          if (mutability === 'readOnly' || (mutability === 'immutable' && element[s.name] !== undefined)) {
            checkMutability(s, mutability, element[s.name], next[s.name] ?? (op === 'replace' && !sub ? undefined : element[s.name]), text);
          }
        }
        if (singleValueEqual(attribute, element, next)) return e;
        return next;
      })
      .filter((e) => e !== undefined && (!isJsonObject(e) || Object.keys(e).length > 0));
  }

  /** RFC 7643 §2.2 "required" still holds after all operations. */
  checkRequired(): void {
    for (const owner of [this.schema.core, ...this.schema.extensions]) {
      const container = attributeContainer(this.doc, owner, false);
      if (!container) continue;
      for (const attribute of this.schema.attributesOf(owner)) {
        if (attribute.required && attribute.mutability !== 'readOnly' && container[attribute.name] === undefined) {
          throw ScimError.invalidValue(`the attribute ${attribute.name} is required and cannot be removed`);
        }
      }
      if (!owner.isCore && Object.keys(container).length === 0) delete this.doc[owner.schema.id];
    }
    const present = this.schema.extensions.filter((e) => attributeContainer(this.doc, e, false) !== undefined);
    const schemasKey = findKey(this.doc, 'schemas');
    if (schemasKey !== undefined) delete this.doc[schemasKey];
    const rest = { ...this.doc };
    for (const key of Object.keys(this.doc)) delete this.doc[key];
    Object.assign(this.doc, { schemas: [this.schema.core.schema.id, ...present.map((e) => e.schema.id)] }, rest);
  }
}

/**
 * Apply PATCH operations (from parsePatchRequest) to a stored resource. Throws ScimError:
 * invalidPath (unknown or malformed path), noTarget, mutability, invalidValue.
 */
export function applyPatch(resource: JsonObject, operations: readonly PatchOperation[], schema: ResourceSchema): PatchResult {
  const doc = structuredClone(resource);
  const applier = new PatchApplier(doc, schema);
  for (const operation of operations) applier.apply(operation);
  applier.checkRequired();
  return { resource: doc, changes: summarizeChanges(resource, doc, schema) };
}
