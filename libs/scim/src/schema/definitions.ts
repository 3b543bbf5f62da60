/**
 * Schema and ResourceType documents, RFC 7643 §7 and §6, and their loading.
 *
 * The app reads the JSON files in scim-schemas/ and hands the parsed objects to
 * loadScimSchemas; this library does no I/O. The documents are our own configuration, but
 * they are checked anyway so a typo fails at start-up instead of mis-validating requests.
 */
import { COMMON_ATTRIBUTES } from './common-attributes.js';
import { ResourceSchema } from './resource-schema.js';

export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

/** RFC 7643 §7 attribute definition. */
export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description?: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDefinition[];
}

export interface SchemaDefinition {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly attributes: readonly AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description?: string;
  readonly schema: string;
  readonly schemaExtensions: readonly { readonly schema: string; readonly required: boolean }[];
}

/** A schema or ResourceType document that does not follow RFC 7643 (a configuration bug). */
export class ScimSchemaDocumentError extends Error {
  override readonly name = 'ScimSchemaDocumentError';
  readonly code = 'ERR_SCIM_SCHEMA_DOCUMENT';
}

const TYPES: readonly AttributeType[] = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED: readonly Returned[] = ['always', 'never', 'default', 'request'];
const UNIQUENESS: readonly Uniqueness[] = ['none', 'server', 'global'];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, where: string): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ScimSchemaDocumentError(`${where}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
}

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ScimSchemaDocumentError(`${where}: expected an array of strings`);
  }
  return value as string[];
}

/** RFC 7643 §2.2 defaults apply to characteristics a document leaves out. */
function readAttribute(raw: unknown, where: string, depth: number): AttributeDefinition {
  if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name === '') {
    throw new ScimSchemaDocumentError(`${where}: attribute without a name`);
  }
  const here = `${where}.${raw.name}`;
  const type = oneOf(raw.type, TYPES, 'string', `${here}.type`);
  let subAttributes: AttributeDefinition[] | undefined;
  if (type === 'complex') {
    // RFC 7643 §2.3.8: a complex attribute has no complex sub-attributes.
    if (depth > 0) throw new ScimSchemaDocumentError(`${here}: complex sub-attribute`);
    if (!Array.isArray(raw.subAttributes)) throw new ScimSchemaDocumentError(`${here}: complex without subAttributes`);
    subAttributes = raw.subAttributes.map((s) => readAttribute(s, here, depth + 1));
  }
  return {
    name: raw.name,
    type,
    multiValued: raw.multiValued === true,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    required: raw.required === true,
    caseExact: raw.caseExact === true,
    mutability: oneOf(raw.mutability, MUTABILITIES, 'readWrite', `${here}.mutability`),
    returned: oneOf(raw.returned, RETURNED, 'default', `${here}.returned`),
    uniqueness: oneOf(raw.uniqueness, UNIQUENESS, 'none', `${here}.uniqueness`),
    canonicalValues: stringList(raw.canonicalValues, `${here}.canonicalValues`),
    referenceTypes: stringList(raw.referenceTypes, `${here}.referenceTypes`),
    subAttributes,
  };
}

export function readSchemaDocument(raw: unknown): SchemaDefinition {
  if (!isRecord(raw) || typeof raw.id !== 'string' || !/^urn:/i.test(raw.id)) {
    throw new ScimSchemaDocumentError('schema document without a URN id');
  }
  if (!Array.isArray(raw.attributes)) throw new ScimSchemaDocumentError(`${raw.id}: no attributes`);
  return {
    id: raw.id,
    name: typeof raw.name === 'string' ? raw.name : undefined,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    attributes: raw.attributes.map((a) => readAttribute(a, raw.id as string, 0)),
  };
}

export function readResourceTypeDocument(raw: unknown): ResourceTypeDefinition {
  if (!isRecord(raw) || typeof raw.name !== 'string' || typeof raw.schema !== 'string' || typeof raw.endpoint !== 'string') {
    throw new ScimSchemaDocumentError('ResourceType document needs name, endpoint and schema');
  }
  const extensions = raw.schemaExtensions ?? [];
  if (!Array.isArray(extensions)) throw new ScimSchemaDocumentError(`${raw.name}: schemaExtensions is not an array`);
  return {
    id: typeof raw.id === 'string' ? raw.id : raw.name,
    name: raw.name,
    endpoint: raw.endpoint,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    schema: raw.schema,
    schemaExtensions: extensions.map((e) => {
      if (!isRecord(e) || typeof e.schema !== 'string') {
        throw new ScimSchemaDocumentError(`${raw.name}: schema extension without a schema URN`);
      }
      return { schema: e.schema, required: e.required === true };
    }),
  };
}

/** The loaded schema set: one ResourceSchema per ResourceType. */
export interface ScimSchemas {
  readonly schemas: readonly SchemaDefinition[];
  readonly resourceTypes: readonly ResourceTypeDefinition[];
  /** The ResourceSchema of a resource type by name ("User", "Group"), case-insensitively. */
  resource(name: string): ResourceSchema;
}

/**
 * Load the parsed scim-schemas/ documents. Throws ScimSchemaDocumentError when a document is
 * malformed or a ResourceType names a schema that was not given.
 */
export function loadScimSchemas(input: { schemas: readonly unknown[]; resourceTypes: readonly unknown[] }): ScimSchemas {
  const schemas = input.schemas.map(readSchemaDocument);
  const byId = new Map(schemas.map((s) => [s.id.toLowerCase(), s]));
  if (byId.size !== schemas.length) throw new ScimSchemaDocumentError('duplicate schema id');
  const resourceTypes = input.resourceTypes.map(readResourceTypeDocument);
  const resources = new Map<string, ResourceSchema>();
  for (const rt of resourceTypes) {
    const core = byId.get(rt.schema.toLowerCase());
    if (!core) throw new ScimSchemaDocumentError(`${rt.name}: unknown schema ${rt.schema}`);
    for (const attribute of core.attributes) {
      if (COMMON_ATTRIBUTES.some((c) => c.name.toLowerCase() === attribute.name.toLowerCase())) {
        throw new ScimSchemaDocumentError(`${core.id}: redefines common attribute ${attribute.name}`);
      }
    }
    const extensions = rt.schemaExtensions.map((e) => {
      const schema = byId.get(e.schema.toLowerCase());
      if (!schema) throw new ScimSchemaDocumentError(`${rt.name}: unknown extension ${e.schema}`);
      return { schema, required: e.required };
    });
    resources.set(rt.name.toLowerCase(), new ResourceSchema(rt, core, extensions));
  }
  return {
    schemas,
    resourceTypes,
    resource(name: string): ResourceSchema {
      const found = resources.get(name.toLowerCase());
      if (!found) throw new ScimSchemaDocumentError(`no resource type ${name}`);
      return found;
    },
  };
}
