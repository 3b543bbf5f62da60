import type { JWTPayload } from 'jose';
import { refuse } from '../enrollment.errors.js';
import { MAX_CLOCK_SKEW_S } from './id-token-validation.js';

export interface SignInFreshness {
  /** The org's limit on the age of the IdP sign-in (`auth_time`), in seconds. */
  maxAgeS: number;
  /**
   * We asked for it (`max_age` or `prompt=login`), so OIDC Core §3.1.2.1 obliges the IdP to
   * send `auth_time`: a token without it is refused. Native-app tokens are checked only when
   * they carry it.
   */
  required: boolean;
  /** `prompt=login`: the sign-in must have happened after this (the enrollment's start). */
  notBefore?: Date;
  now?: Date;
}

/**
 * OIDC Core §2 `auth_time`: when the person actually authenticated, as opposed to when an
 * SSO session handed out this token. An old SSO session must not enroll a device.
 */
export function checkSignInFreshness(claims: JWTPayload, f: SignInFreshness): void {
  const authTime = claims.auth_time;
  if (authTime === undefined) {
    if (f.required) refuse('id_token_claim_missing', 'the ID token has no auth_time although max_age was requested');
    return;
  }
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) refuse('id_token_claim_missing', 'the ID token auth_time is not a number');
  const now = (f.now ?? new Date()).getTime() / 1000;
  if (authTime > now + MAX_CLOCK_SKEW_S) refuse('id_token_not_yet_valid', 'the ID token says the sign-in happened in the future');
  if (now - authTime > f.maxAgeS + MAX_CLOCK_SKEW_S) {
    refuse('sign_in_too_old', `the IdP sign-in happened ${Math.round(now - authTime)}s ago; the org accepts at most ${f.maxAgeS}s`, {
      maxAgeS: f.maxAgeS,
    });
  }
  if (f.notBefore && authTime < f.notBefore.getTime() / 1000 - MAX_CLOCK_SKEW_S) {
    refuse('sign_in_too_old', 'the org requires signing in again for this enrollment, and the IdP reused an earlier sign-in');
  }
}
