import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { EnrollmentErrors, refuse, type EnrollmentErrorCode } from '../enrollment.errors.js';
import type { ProviderMetadata } from './idp-metadata.js';

/**
 * Asymmetric JWS algorithms only (RFC 7518 §3.3-3.5, RFC 8037). No `none` and no HS*: the
 * IdP's keys are public, so an HMAC "signed" with a public key would verify for anyone.
 */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** Clocks of the IdP, the device and this service drift; more than this is not drift. */
export const MAX_CLOCK_SKEW_S = 120;
/** An ID token is for signing in now: one older than this does not enroll anything. */
export const MAX_ID_TOKEN_AGE_S = 10 * 60;

export interface IdTokenExpectations {
  /** The connection's issuer, compared exactly (OIDC Core §3.1.3.7 item 2). */
  issuer: string;
  /** Our client ids (the service's and the org's native apps'): `aud` must contain one. */
  audiences: string[];
  /**
   * base64url(SHA-256(SubjectPublicKeyInfo DER)) of the key being enrolled. null only for a
   * token this service received itself from the IdP's token endpoint in a device flow for
   * a session that already holds the CSR (RFC 8628 has no nonce); a nonce the IdP echoes
   * anyway must still be this one.
   */
  nonce: string | null;
  /** With nonce null: the nonce we sent, if any. */
  sentNonce?: string;
  metadata: ProviderMetadata;
  keys: JWTVerifyGetKey;
  /** For tests: the verification time. */
  currentDate?: Date;
}

/** Our list, narrowed to what the IdP says it signs ID tokens with (Discovery §3). */
function allowedAlgorithms(metadata: ProviderMetadata): string[] {
  const advertised = metadata.id_token_signing_alg_values_supported;
  if (!Array.isArray(advertised)) return [...ID_TOKEN_ALGORITHMS];
  return ID_TOKEN_ALGORITHMS.filter((a) => advertised.includes(a));
}

/**
 * OpenID Connect Core 1.0 §3.1.3.7 ID Token Validation, with the nonce bound to the
 * enrolling key. Every failure is an enrollment error naming which check failed.
 */
export async function validateIdToken(token: string, expect: IdTokenExpectations): Promise<JWTPayload> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 16 * 1024) {
    refuse('id_token_malformed', 'the ID token is missing or too large');
  }
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    refuse('id_token_malformed', 'the ID token is not a compact JWS');
  }
  const algorithms = allowedAlgorithms(expect.metadata);
  // §3.1.3.7 item 6-7: checked before any key is looked up, so `none` and HS* never reach jose.
  if (typeof alg !== 'string' || !algorithms.includes(alg)) {
    refuse('id_token_algorithm_not_allowed', `ID tokens signed with ${String(alg)} are not accepted`);
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, expect.keys, {
      algorithms,
      issuer: expect.issuer,
      audience: expect.audiences,
      clockTolerance: MAX_CLOCK_SKEW_S,
      maxTokenAge: MAX_ID_TOKEN_AGE_S,
      requiredClaims: expect.nonce === null ? ['iss', 'sub', 'aud', 'exp', 'iat'] : ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce'],
      currentDate: expect.currentDate,
    }));
  } catch (e) {
    throw refusalFor(e);
  }

  // §3.1.3.7 items 4-5: with several audiences the token must say which client it was for,
  // and that client must be one of ours.
  const aud = payload.aud;
  if (Array.isArray(aud) && aud.length > 1 && payload.azp === undefined) {
    refuse('id_token_azp_mismatch', 'the ID token has several audiences but no azp');
  }
  if (payload.azp !== undefined && (typeof payload.azp !== 'string' || !expect.audiences.includes(payload.azp))) {
    refuse('id_token_azp_mismatch', 'the ID token was issued to another client (azp)');
  }
  // §3.1.3.7 item 11, with the nonce being the enrolling key's hash.
  const expected = expect.nonce ?? expect.sentNonce;
  if ((expect.nonce !== null || payload.nonce !== undefined) && payload.nonce !== expected) {
    refuse('id_token_nonce_mismatch', 'the ID token nonce is not bound to the key in the CSR');
  }
  return payload;
}

function refusalFor(e: unknown): Error {
  const r = (code: EnrollmentErrorCode, detail: string) => EnrollmentErrors.error(code, detail);
  if (EnrollmentErrors.is(e)) return e;
  if (e instanceof errors.JWTExpired) {
    return e.claim === 'iat'
      ? r('id_token_too_old', `the ID token was issued more than ${MAX_ID_TOKEN_AGE_S}s ago`)
      : r('id_token_expired', 'the ID token has expired');
  }
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return r('id_token_claim_missing', `the ID token has no ${e.claim} claim`);
    switch (e.claim) {
      case 'iss':
        return r('id_token_wrong_issuer', 'the ID token was issued by another issuer');
      case 'aud':
        return r('id_token_wrong_audience', 'the ID token was not issued for this service');
      case 'nbf':
        return r('id_token_not_yet_valid', 'the ID token is not valid yet');
      case 'iat':
        return r('id_token_not_yet_valid', 'the ID token was issued in the future');
      default:
        return r('id_token_malformed', `the ID token claim ${e.claim} is not valid`);
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return r('id_token_algorithm_not_allowed', 'the ID token algorithm is not accepted');
  if (e instanceof errors.JWKSNoMatchingKey) return r('id_token_unknown_key', 'the ID token was signed with a key the IdP does not publish');
  if (e instanceof errors.JWSSignatureVerificationFailed) return r('id_token_signature_invalid', 'the ID token signature does not verify');
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return r('idp_unavailable', 'the IdP key set could not be fetched');
  if (e instanceof errors.JOSEError) return r('id_token_malformed', 'the ID token is not valid');
  // A JWKS endpoint that cannot be reached surfaces as a plain fetch error.
  return r('idp_unavailable', 'the IdP key set could not be fetched');
}
