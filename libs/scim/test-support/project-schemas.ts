/**
 * Tests load the real scim-schemas/ documents the way the app does: read the files, parse,
 * hand the objects to loadScimSchemas.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScimSchemas, type ScimSchemas } from '../src/schema/definitions.js';

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scim-schemas');

export function readSchemaFile(relative: string): unknown {
  return JSON.parse(readFileSync(path.join(SCHEMA_DIR, relative), 'utf8'));
}

export function projectSchemas(): ScimSchemas {
  return loadScimSchemas({
    schemas: ['core-user', 'core-group', 'enterprise-user', 'mls-identity-devices'].map((n) => readSchemaFile(`schemas/${n}.json`)),
    resourceTypes: ['user', 'group'].map((n) => readSchemaFile(`resource-types/${n}.json`)),
  });
}

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const DEVICES = 'urn:ietf:params:scim:schemas:extension:mls-identity:2.0:Devices';
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
