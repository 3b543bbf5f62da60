import type { JWTPayload } from 'jose';
import type { IdpConnection } from '../../orgs/index.js';
import { amrShowsMultiFactor, optionalString, requiredString, stringList } from './claim-values.js';
import type { IdpClaimStrategy, IdpIdentity } from './idp-identity.js';

/** Okta's authentication-context classes that mean two factors were used. */
const OKTA_MFA_ACR = new Set(['urn:okta:loa:2fa:any', 'urn:okta:loa:2fa:any:ifpossible', 'phr', 'phrh']);

/**
 * Okta (org or custom authorization server). `sub` is the Okta user id (00u...), which is
 * also what Okta's SCIM provisioning sends as externalId.
 */
export class OktaClaims implements IdpClaimStrategy {
  readonly kind = 'okta' as const;

  identify(claims: JWTPayload, _connection: IdpConnection): IdpIdentity {
    const sub = requiredString(claims, 'sub');
    const acr = optionalString(claims, 'acr');
    return {
      subject: sub,
      externalIds: [sub],
      userName: optionalString(claims, 'preferred_username') ?? optionalString(claims, 'email'),
      email: optionalString(claims, 'email'),
      emailVerified: claims.email_verified === true,
      displayName: optionalString(claims, 'name'),
      tenant: null,
      multiFactor: amrShowsMultiFactor(claims) || (acr !== null && OKTA_MFA_ACR.has(acr)),
      groups: stringList(claims, 'groups'),
      groupsOverage: false,
    };
  }
}
