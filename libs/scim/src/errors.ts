/**
 * SCIM error responses, RFC 7644 §3.12.
 *
 * Every failure this library reports on untrusted input is a ScimError; the app maps it to
 * an HTTP response in one place with renderScimError.
 */

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The "scimType" values of RFC 7644 §3.12, Table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** HTTP status Table 9 pairs with each scimType. */
export const SCIM_TYPE_STATUS: Readonly<Record<ScimType, number>> = {
  invalidFilter: 400,
  tooMany: 400,
  uniqueness: 409,
  mutability: 400,
  invalidSyntax: 400,
  invalidPath: 400,
  noTarget: 400,
  invalidValue: 400,
  invalidVers: 400,
  sensitive: 403,
};

/** Stable machine-readable code, e.g. ERR_SCIM_INVALID_FILTER or ERR_SCIM_STATUS_404. */
export type ScimErrorCode = `ERR_SCIM_${string}`;

function codeFor(status: number, scimType: ScimType | undefined): ScimErrorCode {
  if (!scimType) return `ERR_SCIM_STATUS_${status}`;
  return `ERR_SCIM_${scimType.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export class ScimError extends Error {
  override readonly name = 'ScimError';
  readonly status: number;
  readonly scimType: ScimType | undefined;
  readonly code: ScimErrorCode;

  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
    this.code = codeFor(status, scimType);
  }

  /** The human-readable "detail" of the error response. */
  get detail(): string {
    return this.message;
  }

  static of(scimType: ScimType, detail: string): ScimError {
    return new ScimError(SCIM_TYPE_STATUS[scimType], detail, scimType);
  }
  static invalidFilter(detail: string): ScimError {
    return ScimError.of('invalidFilter', detail);
  }
  static invalidSyntax(detail: string): ScimError {
    return ScimError.of('invalidSyntax', detail);
  }
  static invalidPath(detail: string): ScimError {
    return ScimError.of('invalidPath', detail);
  }
  static invalidValue(detail: string): ScimError {
    return ScimError.of('invalidValue', detail);
  }
  static noTarget(detail: string): ScimError {
    return ScimError.of('noTarget', detail);
  }
  static mutability(detail: string): ScimError {
    return ScimError.of('mutability', detail);
  }
  static uniqueness(detail: string): ScimError {
    return ScimError.of('uniqueness', detail);
  }
  static tooMany(detail: string): ScimError {
    return ScimError.of('tooMany', detail);
  }
}

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  /** RFC 7644 §3.12 carries the status as a JSON string. */
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** The RFC 7644 §3.12 error JSON for a ScimError. */
export function renderScimError(error: ScimError): ScimErrorBody {
  const body: ScimErrorBody = {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(error.status),
    detail: error.message,
  };
  if (error.scimType) body.scimType = error.scimType;
  return body;
}
