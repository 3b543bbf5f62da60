import type { IdpConnection } from '../../orgs/index.js';
import { GENERIC_CLAIM_DEFAULTS } from '../claims/generic-oidc-claims.js';

/** Okta's class for "two factors, any kind" (Okta Identity Engine acr_values). */
export const OKTA_2FA_ACR = 'urn:okta:loa:2fa:any';

/**
 * What to add to the authorization request so that a connection requiring MFA gets it at the
 * IdP instead of a refusal after the sign-in: Okta takes `acr_values`; a generic OpenID
 * Provider takes the `acr` values its connection counts as multi-factor (claimMapping.mfaAcr).
 * Entra has no standard request for MFA (Conditional Access decides), so nothing is added and
 * the `amr` check after the sign-in stays the gate; `max_age` (org policy) applies to all.
 */
export function mfaAuthorizationParameters(connection: IdpConnection): Record<string, string> {
  if (!connection.requireMfa) return {};
  if (connection.kind === 'okta') return { acr_values: OKTA_2FA_ACR };
  if (connection.kind === 'oidc') {
    const mapped = connection.claimMapping?.mfaAcr ?? GENERIC_CLAIM_DEFAULTS.mfaAcr;
    const values = mapped.split(/\s+/).filter(Boolean);
    return values.length > 0 ? { acr_values: values.join(' ') } : {};
  }
  return {};
}
