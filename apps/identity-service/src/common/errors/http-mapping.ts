import { ChainValidationError, X509ProfileError } from '#x509-profile';
import { MlsGlueError } from '#mls';
import { DomainError, type ErrorKind } from './domain-error.js';

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

/** Library error codes (ERR_X509_MALFORMED) as response reasons (x509_malformed). */
const reasonOf = (libraryCode: string) => libraryCode.replace(/^ERR_/, '').toLowerCase();

/**
 * Errors of the spec-mapped libraries, which know nothing of HTTP, as domain errors: bytes that
 * are not the structure asked for are invalid input; structures that decode but break the
 * profile, carry a bad signature or use an unsupported suite are unprocessable.
 */
export function fromLibraryError(e: unknown): DomainError | undefined {
  if (e instanceof ChainValidationError) return new DomainError(e.reason, 'unprocessable', e.message);
  if (e instanceof X509ProfileError) {
    const malformed = e.code === 'ERR_X509_MALFORMED' || e.code === 'ERR_X509_TOO_LARGE';
    return new DomainError(reasonOf(e.code), malformed ? 'invalid_input' : 'unprocessable', e.message);
  }
  if (e instanceof MlsGlueError) {
    return new DomainError(reasonOf(e.code), e.code === 'ERR_MLS_DECODE' ? 'invalid_input' : 'unprocessable', e.message);
  }
  return undefined;
}

/** A domain (or library) error as the status, code, message and extra members of a response. */
export function asDomainError(e: unknown): DomainError | undefined {
  return e instanceof DomainError ? e : fromLibraryError(e);
}

export function statusOf(e: DomainError): number {
  return KIND_STATUS[e.kind];
}
