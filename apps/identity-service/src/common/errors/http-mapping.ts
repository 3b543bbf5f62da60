import { DomainError, type ErrorKind } from './domain-error.js';
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

/** A domain (or library) error as the status, code, message and extra members of a response. */
export function asDomainError(e: unknown): DomainError | undefined {
  return e instanceof DomainError ? e : fromLibraryError(e);
}

export function statusOf(e: DomainError): number {
  return KIND_STATUS[e.kind];
}
