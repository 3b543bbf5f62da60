/**
 * What went wrong, in the domain's words. Services throw these; they never know HTTP. The one
 * mapping to HTTP statuses, problem+json and SCIM errors is ./http-mapping.ts.
 */
export type ErrorKind =
  /** The caller's input is malformed or breaks a stated rule (400). */
  | 'invalid_input'
  /** The caller did not prove who it is, or the proof failed (401). */
  | 'unauthenticated'
  /** The caller is known but policy refuses (403). */
  | 'forbidden'
  /** The named thing does not exist for this caller (404). */
  | 'not_found'
  /** The thing's current state does not allow this (409). */
  | 'conflict'
  /** The thing existed and is gone for good (410). */
  | 'gone'
  /** Input too large to accept (413). */
  | 'too_large'
  /** Well-formed input that is the wrong kind, or fails a signature or profile check (422). */
  | 'unprocessable'
  /** The caller asked too often; `details.retryAfterSeconds` becomes Retry-After (429). */
  | 'rate_limited'
  /** Not an error but a state the caller polls through (RFC 8628 §3.5: 400 with a code). */
  | 'pending'
  /** This service cannot answer now (503). */
  | 'unavailable'
  /** A system this service depends on (an IdP) failed (502). */
  | 'upstream_failed';

export class DomainError extends Error {
  constructor(
    /** Stable, machine-readable, documented in docs/errors.md; clients branch on it. */
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    /** Extra non-secret members for the response body (and the audit record). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Each code's kind and one sentence for docs/errors.md (what happened, from the caller's side). */
export type ErrorSpecs = Record<string, readonly [ErrorKind, string]>;

/** A module's error codes, declared once with their kind. */
export interface ErrorFamily<Code extends string> {
  readonly family: string;
  readonly specs: Readonly<Record<Code, readonly [ErrorKind, string]>>;
  error(code: Code, message: string, details?: Record<string, unknown>): DomainError;
  raise(code: Code, message: string, details?: Record<string, unknown>): never;
  /** True for an error of this family (optionally of one code). */
  is(error: unknown, code?: Code): error is DomainError & { code: Code };
}

/**
 * `defineErrors('enrollment', { csr_invalid: ['invalid_input', 'the CSR is malformed or ...'] })`:
 * the family's codes, their kinds and their documentation in one declaration.
 */
export function defineErrors<const S extends ErrorSpecs>(family: string, specs: S): ErrorFamily<keyof S & string> {
  type Code = keyof S & string;
  const error = (code: Code, message: string, details?: Record<string, unknown>) => new DomainError(code, specs[code][0], message, details);
  return {
    family,
    specs,
    error,
    raise(code: Code, message: string, details?: Record<string, unknown>): never {
      throw error(code, message, details);
    },
    is(e: unknown, code?: Code): e is DomainError & { code: Code } {
      return e instanceof DomainError && Object.hasOwn(specs, e.code) && (code === undefined || e.code === code);
    },
  };
}
