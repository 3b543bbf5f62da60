/**
 * Query responses, RFC 7644 §3.4.2: the ListResponse message and pagination parameters
 * (§3.4.2.4): startIndex is 1-based and a value below 1 means 1; count below 0 means 0;
 * a count above the server's maximum is lowered to it.
 */
import { ScimError } from './errors.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface Paging {
  /** 1-based index of the first result. */
  readonly startIndex: number;
  /** Most results to return (0 asks for totalResults only). */
  readonly count: number;
}

export interface PagingOptions {
  /** ServiceProviderConfig filter.maxResults. Default 200. */
  readonly maxResults?: number;
  /** Count when the client gives none. Default maxResults. */
  readonly defaultCount?: number;
}

function integerParameter(name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const n = typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw ScimError.invalidValue(`${name} must be an integer`);
  return n;
}

/** Normalise startIndex/count from query parameters or a POST /.search body. Throws invalidValue for non-integers. */
export function normalizePaging(input: { startIndex?: unknown; count?: unknown }, options: PagingOptions = {}): Paging {
  const max = options.maxResults ?? 200;
  const startIndex = Math.max(1, integerParameter('startIndex', input.startIndex) ?? 1);
  const count = Math.min(max, Math.max(0, integerParameter('count', input.count) ?? options.defaultCount ?? max));
  return { startIndex, count };
}

/** SQL-ready form: OFFSET is startIndex - 1. */
export function pagingToOffset(paging: Paging): { offset: number; limit: number } {
  return { offset: paging.startIndex - 1, limit: paging.count };
}

export interface ListResponse<T> {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/** The ListResponse body; itemsPerPage is the number of resources on this page. */
export function buildListResponse<T>(resources: readonly T[], totalResults: number, paging: Pick<Paging, 'startIndex'>): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex: paging.startIndex,
    itemsPerPage: resources.length,
    Resources: [...resources],
  };
}
