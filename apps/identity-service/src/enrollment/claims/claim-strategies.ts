import type { IdpKind } from '../../orgs/index.js';
import { EntraClaims } from './entra-claims.js';
import { GenericOidcClaims } from './generic-oidc-claims.js';
import type { IdpClaimStrategy } from './idp-identity.js';
import { OktaClaims } from './okta-claims.js';

const STRATEGIES: Record<IdpKind, IdpClaimStrategy> = {
  okta: new OktaClaims(),
  entra: new EntraClaims(),
  oidc: new GenericOidcClaims(),
};

export function claimStrategyFor(kind: IdpKind): IdpClaimStrategy {
  return STRATEGIES[kind];
}
