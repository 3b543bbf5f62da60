import { defineErrors } from '../common/errors/domain-error.js';

/**
 * Every reason an enrollment or a renewal is refused, stable and machine-readable: the
 * `reason` member of the problem+json body and of the audit event. Devices branch on these,
 * so they never change. (A key already used is the devices module's
 * `signature_key_already_used`.)
 */
export const EnrollmentErrors = defineErrors('enrollment', {
  // The request itself
  request_invalid: ['invalid_input', 'the enrollment request is inconsistent (e.g. both idToken and flow, or neither)'],
  csr_invalid: ['invalid_input', 'the CSR is not PEM or base64 DER, or fails the device-certificate profile'],
  idp_connection_ambiguous: ['invalid_input', 'the org has several IdP connections and the request names none'],
  // The ID token: the route is authenticated by it
  id_token_malformed: ['unauthenticated', 'the ID token is not a well-formed JWT'],
  id_token_algorithm_not_allowed: [
    'unauthenticated',
    'the ID token is signed with an algorithm the IdP does not advertise or that is not asymmetric',
  ],
  id_token_unknown_key: ['unauthenticated', 'the ID token names a signing key the IdP does not publish'],
  id_token_signature_invalid: ['unauthenticated', 'the ID token signature does not verify'],
  id_token_expired: ['unauthenticated', 'the ID token has expired (beyond the allowed clock skew)'],
  id_token_not_yet_valid: ['unauthenticated', 'the ID token is issued in the future'],
  id_token_too_old: ['unauthenticated', 'the ID token was issued too long ago'],
  id_token_wrong_issuer: ['unauthenticated', 'the ID token was issued by no IdP of this org'],
  id_token_wrong_audience: ['unauthenticated', 'the ID token is for another client'],
  id_token_azp_mismatch: ['unauthenticated', 'the ID token names another authorized party'],
  id_token_claim_missing: ['unauthenticated', 'the ID token lacks a claim enrollment needs'],
  id_token_nonce_mismatch: ['unauthenticated', 'the ID token nonce is not bound to the CSR key'],
  id_token_replayed: ['unauthenticated', 'the ID token has already been used to enroll'],
  enrollment_secret_invalid: ['unauthenticated', 'unknown enrollment or wrong enrollment secret'],
  device_key_proof_invalid: [
    'unauthenticated',
    "re-authentication needs an MLS-Device signature over the request by the device's current key, with a certificate of that device",
  ],
  // Policy
  tenant_not_allowed: ['forbidden', 'the sign-in comes from a tenant the IdP connection does not allow'],
  mfa_required: ['forbidden', 'the org requires multi-factor sign-in to enroll a device'],
  account_not_found: ['forbidden', 'no account in the org for the signed-in user, and the org does not create accounts just in time'],
  account_inactive: ['forbidden', 'the account is deactivated or deleted'],
  account_subject_mismatch: ['forbidden', 'the matching account is bound to another IdP identity'],
  account_not_linked: [
    'forbidden',
    'the matching account signs in through another IdP connection of the org; an admin must link it to this connection first',
  ],
  account_has_no_email: ['unprocessable', 'the account has no email or UPN to certify'],
  email_domain_not_verified: [
    'forbidden',
    "the account's email is outside the org's verified email domains (`certificates.verifiedEmailDomains`), so no certificate names it",
  ],
  device_limit_reached: ['forbidden', 'the account has as many active devices as the org allows'],
  ciphersuite_not_allowed: ['forbidden', 'the org does not allow this MLS cipher suite'],
  platform_not_allowed: ['forbidden', 'the org does not allow this device platform'],
  access_denied: ['forbidden', 'the user declined the sign-in at the IdP'],
  not_this_device: ['forbidden', 'a device can renew only its own certificate'],
  not_device_owner: ['forbidden', "the signed-in person is not the device's account"],
  reauthentication_required: ['forbidden', 'org policy requires a fresh IdP sign-in: re-authenticate the device'],
  flow_not_allowed: ['forbidden', 'the org does not allow this enrollment flow'],
  sign_in_too_old: ['forbidden', 'the IdP sign-in (auth_time) is older than the org allows, or predates this enrollment: sign in again'],
  confirmation_code_invalid: ['forbidden', 'the code entered is not the one the enrolling device shows (or the enrollment is over)'],
  confirmation_attempts_exhausted: ['forbidden', 'too many wrong confirmation codes: the enrollment is cancelled; start again on the device'],
  // Anonymous routes cannot be used as a lever (429 with Retry-After)
  enrollment_rate_limited: [
    'rate_limited',
    'too many anonymous enrollment requests from this client address, or for this org; retry after the Retry-After seconds',
  ],
  pending_enrollments_limit: [
    'rate_limited',
    'the org has as many pending redirect and device enrollments as it allows (`enrollment.maxPendingSessions`); retry once one ends or expires (Retry-After)',
  ],
  // State
  policy_invalid: ['conflict', "the org's stored enrollment policy is invalid, so enrollment is refused"],
  enrollment_not_pending: ['conflict', 'the enrollment is already completed or failed'],
  // RFC 8628 §3.5 answers these with 400 and an error code; so do we, with `reason`
  authorization_pending: ['pending', 'the user has not finished signing in: poll again'],
  slow_down: ['pending', 'polled too often: wait the given interval'],
  expired_token: ['pending', 'the enrollment expired before the user signed in'],
  state_invalid: ['invalid_input', 'no enrollment is waiting for this sign-in (unknown state)'],
  // The IdP failed us: not the caller's fault, but still not a 500
  idp_unavailable: ['upstream_failed', 'the IdP could not be reached'],
  idp_error: ['upstream_failed', 'the IdP answered with an error or something unusable'],
});

export type EnrollmentErrorCode = keyof typeof EnrollmentErrors.specs;

/** Refuses the enrollment (or renewal) step with one of the family's codes. */
export function refuse(code: EnrollmentErrorCode, detail: string, details?: Record<string, unknown>): never {
  throw EnrollmentErrors.error(code, detail, details);
}
