import { DomainError, type ErrorKind } from './domain-error.js';
import { isDatabaseUnavailable } from '../database-unavailable.js';
import { DATABASE_RETRY_AFTER_S, InfrastructureErrors } from './infrastructure.errors.js';
import { fromLibraryError } from './library-errors.js';

/** The one place a domain error kind becomes an HTTP status. */
export const KIND_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid_input: 400,
  pending: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  upstream_failed: 502,
  unavailable: 503,
};

/**
 * The scimType (RFC 7644 §3.12) a domain error of this kind carries on SCIM routes: invalid
 * input is `invalidValue`; every other kind is rendered with its status and no scimType.
 */
export function scimTypeOf(kind: ErrorKind): 'invalidValue' | undefined {
  return kind === 'invalid_input' ? 'invalidValue' : undefined;
}

/**
 * A domain (or library) error as the status, code, message and extra members of a response.
 * A lost database connection, whoever ran the query (a service, a guard, the rate limiter), is
 * `database_unavailable` (503 with Retry-After), never a 500.
 */
export function asDomainError(e: unknown): DomainError | undefined {
  if (e instanceof DomainError) return e;
  if (isDatabaseUnavailable(e)) {
    return InfrastructureErrors.error('database_unavailable', 'the database is unreachable; retry later', {
      retryAfterSeconds: DATABASE_RETRY_AFTER_S,
    });
  }
  return fromLibraryError(e);
}

export function statusOf(e: DomainError): number {
  return KIND_STATUS[e.kind];
}
