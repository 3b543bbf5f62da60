import { TransparencyErrors } from './transparency.errors.js';

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** A tree size or index from a query string: plain decimal, a safe integer, or a 400 saying why. */
export function treeNumberParam(name: string, raw: unknown): number {
  if (typeof raw !== 'string' || raw === '') {
    throw TransparencyErrors.error('missing_parameter', `query parameter "${name}" is required`);
  }
  const value = Number(raw);
  if (!DECIMAL.test(raw) || !Number.isSafeInteger(value)) {
    throw TransparencyErrors.error('invalid_tree_number', `"${name}" must be a non-negative decimal integer`);
  }
  return value;
}
