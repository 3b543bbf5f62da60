import type { NextFunction, Request, Response } from 'express';
import { RequestErrors } from './errors/request.errors.js';

/**
 * How deep a parsed body may nest. Our deepest real payload is a SCIM Bulk request (BulkRequest,
 * Operations, an operation, its data, a PATCH operation, its value, a multi-valued complex
 * attribute, its sub-attribute: under ten levels); 64 leaves room for any IdP's dialect while
 * keeping every recursive walk (class-transformer in the ValidationPipe, Bulk's bulkId
 * substitution, the SCIM schema checks) far from the stack limit that 20,000 levels reach.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether a JSON value nests objects and arrays more than `max` levels; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Runs right after the body parsers, before routing: JSON.parse accepts any depth, and
 * everything after it walks the body recursively.
 */
export function rejectDeepBodies(req: Request, _res: Response, next: NextFunction): void {
  // Raw bodies (CSRs, MLS messages) are Buffers, not parsed JSON.
  if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) && nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
    return next(RequestErrors.error('too_deep', `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`));
  }
  next();
}
