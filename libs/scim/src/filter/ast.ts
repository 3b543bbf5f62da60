/**
 * Filter syntax tree for RFC 7644 §3.4.2.2.
 *
 * Attribute paths are kept as written; resolving them against a schema (case-insensitive,
 * URN-qualified) is the job of the consumer (evaluate.ts, to-sql.ts).
 */
import type { AttrPath } from './attr-path.js';

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** compValue = false / null / true / number / string. */
export type CompValue = string | number | boolean | null;

export type Filter =
  | { readonly kind: 'compare'; readonly op: CompareOperator; readonly path: AttrPath; readonly value: CompValue }
  | { readonly kind: 'present'; readonly path: AttrPath }
  | { readonly kind: 'and' | 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly filter: Filter }
  /** attrPath "[" valFilter "]": paths inside are relative to `path` (its sub-attributes). */
  | { readonly kind: 'valuePath'; readonly path: AttrPath; readonly filter: Filter };

export const COMPARE_OPERATORS: readonly CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

/** PATCH path, RFC 7644 §3.5.2: attrPath / valuePath [subAttr]. */
export interface PatchPath {
  readonly path: AttrPath;
  /** The value filter of a valuePath. */
  readonly filter?: Filter;
  /** The sub-attribute after "]" in `emails[type eq "work"].value`. */
  readonly subAttr?: string;
}
