import type { JWTPayload } from 'jose';
import type { IdpConnection } from '../../orgs/index.js';
import { refuse } from '../enrollment.errors.js';
import { amrShowsMultiFactor, optionalString, requiredString, stringList } from './claim-values.js';
import type { IdpClaimStrategy, IdpIdentity } from './idp-identity.js';

/**
 * The connection's claimMapping keys this strategy reads, with their defaults. `mfaAcr` is a
 * space-separated list of `acr` values that count as multi-factor.
 */
export const GENERIC_CLAIM_DEFAULTS = {
  subject: 'sub',
  externalId: 'sub',
  userName: 'preferred_username',
  email: 'email',
  displayName: 'name',
  groups: 'groups',
  tenant: '',
  mfaAcr: '',
} as const;

export type GenericClaimKey = keyof typeof GENERIC_CLAIM_DEFAULTS;

const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;

/** Any OpenID Provider, with claim names taken from the connection's claimMapping. */
export class GenericOidcClaims implements IdpClaimStrategy {
  readonly kind = 'oidc' as const;

  identify(claims: JWTPayload, connection: IdpConnection): IdpIdentity {
    const name = (key: GenericClaimKey): string => {
      const mapped = connection.claimMapping?.[key];
      return typeof mapped === 'string' && (key === 'mfaAcr' || CLAIM_NAME.test(mapped)) ? mapped : GENERIC_CLAIM_DEFAULTS[key];
    };
    const tenantClaim = name('tenant');
    const tenant = tenantClaim ? optionalString(claims, tenantClaim) : null;
    if (connection.allowedTenants.length > 0 && (tenant === null || !connection.allowedTenants.includes(tenant))) {
      refuse('tenant_not_allowed', `tenant ${String(tenant)} may not enroll devices in this org`, { tenant });
    }
    const mfaAcr = name('mfaAcr').split(/\s+/).filter(Boolean);
    const acr = optionalString(claims, 'acr');
    const externalId = optionalString(claims, name('externalId'));
    return {
      subject: requiredString(claims, name('subject')),
      externalIds: externalId ? [externalId] : [],
      userName: optionalString(claims, name('userName')) ?? optionalString(claims, name('email')),
      email: optionalString(claims, name('email')),
      emailVerified: claims.email_verified === true,
      displayName: optionalString(claims, name('displayName')),
      tenant,
      multiFactor: amrShowsMultiFactor(claims) || (acr !== null && mfaAcr.includes(acr)),
      groups: stringList(claims, name('groups')),
      groupsOverage: false,
    };
  }
}
