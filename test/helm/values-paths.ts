import { stripComments } from './template-skeleton.js';

/**
 * Dotted paths into a chart's values: the ones templates read (`.Values.a.b`, `$.Values.a.b`)
 * and the ones values.yaml defines.
 */

const VALUES_REFERENCE = /\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;

/** `a.b` for every `.Values.a.b` in a template, comments excluded. */
export function valuesReferences(template: string): string[] {
  return [...new Set([...stripComments(template).matchAll(VALUES_REFERENCE)].map((m) => m[1]!.slice(1)))];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether `path` names a key that values.yaml defines (its value may be empty or null). */
export function hasPath(values: unknown, path: string): boolean {
  let node = values;
  for (const key of path.split('.')) {
    if (!isMapping(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** Paths whose values are scalars, lists or empty mappings: a list is one value, never entered. */
export function leafPaths(values: unknown, prefix = ''): string[] {
  if (!isMapping(values) || (Object.keys(values).length === 0 && prefix !== '')) return [prefix];
  return Object.entries(values).flatMap(([key, value]) => leafPaths(value, prefix ? `${prefix}.${key}` : key));
}

/** Whether `path` is `other` or lies inside it. */
export function isWithin(path: string, other: string): boolean {
  return path === other || path.startsWith(`${other}.`);
}
