import { BadRequestException } from '@nestjs/common';

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** A tree size or index from a query string: plain decimal, a safe integer, or a 400 saying why. */
export function treeNumberParam(name: string, raw: unknown): number {
  if (typeof raw !== 'string' || raw === '') {
    throw new BadRequestException({ message: `query parameter "${name}" is required`, reason: 'missing_parameter' });
  }
  const value = Number(raw);
  if (!DECIMAL.test(raw) || !Number.isSafeInteger(value)) {
    throw new BadRequestException({ message: `"${name}" must be a non-negative decimal integer`, reason: 'invalid_tree_number' });
  }
  return value;
}
