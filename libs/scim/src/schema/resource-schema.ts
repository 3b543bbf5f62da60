/**
 * One resource type's view of its schemas (RFC 7643 §6): the core schema, its extensions
 * and case-insensitive attribute lookup (RFC 7643 §2.1: attribute names are case
 * insensitive), including URN-qualified names (RFC 7644 §3.10).
 */
import { splitAttrPath, type AttrPath } from '../filter/attr-path.js';
import { COMMON_ATTRIBUTES } from './common-attributes.js';
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './definitions.js';

export interface SchemaInResource {
  readonly schema: SchemaDefinition;
  readonly isCore: boolean;
  /** Only meaningful for extensions (ResourceType schemaExtensions[].required). */
  readonly required: boolean;
}

/** What a path names: an attribute (maybe a sub-attribute) or, for a bare URN, a whole extension. */
export interface ResolvedPath {
  readonly owner: SchemaInResource;
  /** Undefined when the path is an extension's URN alone. */
  readonly attribute?: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
}

function byLowerName(attributes: readonly AttributeDefinition[]): Map<string, AttributeDefinition> {
  return new Map(attributes.map((a) => [a.name.toLowerCase(), a]));
}

export class ResourceSchema {
  readonly core: SchemaInResource;
  readonly extensions: readonly SchemaInResource[];
  private readonly schemasByUri = new Map<string, SchemaInResource>();
  private readonly attributesBySchema = new Map<SchemaInResource, Map<string, AttributeDefinition>>();
  private readonly subAttributes = new Map<AttributeDefinition, Map<string, AttributeDefinition>>();

  constructor(
    readonly resourceType: ResourceTypeDefinition,
    core: SchemaDefinition,
    extensions: readonly { schema: SchemaDefinition; required: boolean }[],
  ) {
    this.core = { schema: core, isCore: true, required: true };
    this.extensions = extensions.map((e) => ({ schema: e.schema, isCore: false, required: e.required }));
    for (const owner of [this.core, ...this.extensions]) {
      this.schemasByUri.set(owner.schema.id.toLowerCase(), owner);
      const attributes = owner.isCore ? [...COMMON_ATTRIBUTES, ...owner.schema.attributes] : owner.schema.attributes;
      this.attributesBySchema.set(owner, byLowerName(attributes));
      for (const a of attributes) {
        if (a.subAttributes) this.subAttributes.set(a, byLowerName(a.subAttributes));
      }
    }
  }

  get name(): string {
    return this.resourceType.name;
  }

  /** Core URN first, then the extensions, as they appear in a resource's "schemas". */
  get schemaUris(): string[] {
    return [this.core.schema.id, ...this.extensions.map((e) => e.schema.id)];
  }

  findSchema(uri: string): SchemaInResource | undefined {
    return this.schemasByUri.get(uri.toLowerCase());
  }

  /** Top-level attributes of a schema (the core one includes id, externalId and meta). */
  attributesOf(owner: SchemaInResource): AttributeDefinition[] {
    return [...(this.attributesBySchema.get(owner)?.values() ?? [])];
  }

  findAttribute(owner: SchemaInResource, name: string): AttributeDefinition | undefined {
    return this.attributesBySchema.get(owner)?.get(name.toLowerCase());
  }

  findSubAttribute(parent: AttributeDefinition, name: string): AttributeDefinition | undefined {
    return this.subAttributes.get(parent)?.get(name.toLowerCase());
  }

  /** Resolve a parsed attrPath; undefined when the schema does not define it. */
  resolve(path: AttrPath): ResolvedPath | undefined {
    let owner = this.core;
    if (path.uri !== undefined) {
      if (path.subAttr === undefined) {
        const whole = this.findSchema(`${path.uri}:${path.name}`);
        if (whole) return whole.isCore ? undefined : { owner: whole };
      }
      const named = this.findSchema(path.uri);
      if (!named) return undefined;
      owner = named;
    }
    const attribute = this.findAttribute(owner, path.name);
    if (!attribute) return undefined;
    if (path.subAttr === undefined) return { owner, attribute };
    const subAttribute = this.findSubAttribute(attribute, path.subAttr);
    return subAttribute ? { owner, attribute, subAttribute } : undefined;
  }

  /** Resolve a path written as text ("name.givenName", "urn:...:User:manager.value", an extension URN). */
  resolveText(text: string): ResolvedPath | undefined {
    const whole = this.findSchema(text);
    if (whole && !whole.isCore) return { owner: whole };
    const path = splitAttrPath(text);
    return path ? this.resolve(path) : undefined;
  }

  /** Canonical spelling of a resolved path: core attributes unqualified, extension ones URN-qualified. */
  canonicalPath(resolved: ResolvedPath): string {
    if (!resolved.attribute) return resolved.owner.schema.id;
    const local = resolved.subAttribute ? `${resolved.attribute.name}.${resolved.subAttribute.name}` : resolved.attribute.name;
    return resolved.owner.isCore ? local : `${resolved.owner.schema.id}:${local}`;
  }
}
