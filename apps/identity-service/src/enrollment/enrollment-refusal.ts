import { HttpException } from '@nestjs/common';

/**
 * Every reason an enrollment is refused, stable and machine-readable: the `reason` member of
 * the problem+json body and of the audit event. Devices branch on these, so they never change.
 */
export const REFUSAL_STATUS = {
  // The request itself (400)
  request_invalid: 400,
  csr_invalid: 400,
  idp_connection_ambiguous: 400,
  // The ID token (401): the route is authenticated by it
  id_token_malformed: 401,
  id_token_algorithm_not_allowed: 401,
  id_token_unknown_key: 401,
  id_token_signature_invalid: 401,
  id_token_expired: 401,
  id_token_not_yet_valid: 401,
  id_token_too_old: 401,
  id_token_wrong_issuer: 401,
  id_token_wrong_audience: 401,
  id_token_azp_mismatch: 401,
  id_token_claim_missing: 401,
  id_token_nonce_mismatch: 401,
  id_token_replayed: 401,
  enrollment_secret_invalid: 401,
  // Policy (403)
  tenant_not_allowed: 403,
  mfa_required: 403,
  account_not_found: 403,
  account_inactive: 403,
  account_subject_mismatch: 403,
  device_limit_reached: 403,
  ciphersuite_not_allowed: 403,
  platform_not_allowed: 403,
  access_denied: 403,
  // State (404/409/410)
  idp_connection_not_found: 404,
  enrollment_not_found: 404,
  signature_key_already_used: 409,
  policy_invalid: 409,
  enrollment_not_pending: 409,
  // RFC 8628 §3.5 answers these with 400 and an error code; so do we, with `reason`
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  state_invalid: 400,
  // The IdP failed us (502): not the caller's fault, but still not a 500
  idp_unavailable: 502,
  idp_error: 502,
} as const;

export type RefusalReason = keyof typeof REFUSAL_STATUS;

export class EnrollmentRefusal extends HttpException {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super({ message: detail, reason, ...extra }, REFUSAL_STATUS[reason]);
    this.name = 'EnrollmentRefusal';
  }
}

export function refuse(reason: RefusalReason, detail: string, extra?: Record<string, unknown>): never {
  throw new EnrollmentRefusal(reason, detail, extra);
}
