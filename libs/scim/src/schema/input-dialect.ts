/**
 * Input spellings that real IdPs send and RFC 7643 does not define, mapped to the RFC names
 * ("tolerant in, strict out"). Output never uses them.
 */
import type { AttributeDefinition } from './definitions.js';

/**
 * Microsoft's SCIM test collection adds group members as {"displayName": ..., "value": ...};
 * RFC 7643 §4.2 names that sub-attribute "display".
 */
const SUB_ATTRIBUTE_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  members: { displayname: 'display' },
};

export function findInputSubAttribute(parent: AttributeDefinition, key: string): AttributeDefinition | undefined {
  const lower = key.toLowerCase();
  const direct = parent.subAttributes?.find((s) => s.name.toLowerCase() === lower);
  if (direct) return direct;
  const alias = SUB_ATTRIBUTE_ALIASES[parent.name.toLowerCase()]?.[lower];
  return alias ? parent.subAttributes?.find((s) => s.name === alias) : undefined;
}
