/**
 * RFC 7643 §3.1 common attributes. They belong to every resource but to no schema document,
 * so the lookup adds them to the core schema of each resource type.
 */
import type { AttributeDefinition } from './definitions.js';

function attr(partial: Partial<AttributeDefinition> & Pick<AttributeDefinition, 'name'>): AttributeDefinition {
  return {
    type: 'string',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readOnly',
    returned: 'default',
    uniqueness: 'none',
    ...partial,
  };
}

export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  attr({ name: 'id', caseExact: true, returned: 'always', uniqueness: 'server' }),
  attr({ name: 'externalId', caseExact: true, mutability: 'readWrite' }),
  attr({
    name: 'meta',
    type: 'complex',
    subAttributes: [
      attr({ name: 'resourceType', caseExact: true }),
      attr({ name: 'created', type: 'dateTime' }),
      attr({ name: 'lastModified', type: 'dateTime' }),
      attr({ name: 'location', type: 'reference', caseExact: true, referenceTypes: ['uri'] }),
      attr({ name: 'version', caseExact: true }),
    ],
  }),
];
