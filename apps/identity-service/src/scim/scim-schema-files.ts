import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScimSchemas, type ScimSchemas } from '#scim';

export const SCHEMA_FILES = ['core-user', 'core-group', 'enterprise-user', 'mls-identity-devices'] as const;
export const RESOURCE_TYPE_FILES = ['user', 'group'] as const;

/** The discovery documents as read from scim-schemas/, served (with absolute locations) and validated against. */
export interface ScimDocuments {
  schemas: ScimSchemas;
  schemaDocuments: Record<string, unknown>[];
  resourceTypeDocuments: Record<string, unknown>[];
  serviceProviderConfig: Record<string, unknown>;
}

export const SCIM_DOCUMENTS = Symbol('SCIM_DOCUMENTS');

/**
 * scim-schemas/ sits at the repository (or image) root; this file runs from src/ under
 * jest and from dist/ in production, at different depths, so the root is searched upwards.
 */
export function findSchemaDirectory(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'scim-schemas');
    if (existsSync(path.join(candidate, 'service-provider-config.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`scim-schemas/ not found above ${from}`);
  }
}

export function readScimDocuments(dir = findSchemaDirectory()): ScimDocuments {
  const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
  const schemaDocuments = SCHEMA_FILES.map((n) => read(`schemas/${n}.json`));
  const resourceTypeDocuments = RESOURCE_TYPE_FILES.map((n) => read(`resource-types/${n}.json`));
  return {
    schemas: loadScimSchemas({ schemas: schemaDocuments, resourceTypes: resourceTypeDocuments }),
    schemaDocuments,
    resourceTypeDocuments,
    serviceProviderConfig: read('service-provider-config.json'),
  };
}
