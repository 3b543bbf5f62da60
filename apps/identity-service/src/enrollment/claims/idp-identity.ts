import type { JWTPayload } from 'jose';
import type { IdpConnection, IdpKind } from '../../orgs/index.js';

/** What enrollment needs to know about the person, whatever IdP signed them in. */
export interface IdpIdentity {
  /**
   * The IdP's stable, non-reassignable subject for this person, bound to the account at
   * first enrollment (Okta `sub`; Entra `tid:oid`, because Entra's `sub` is pairwise per app).
   */
  subject: string;
  /** Values an IdP writes as SCIM externalId for this person, in preference order. */
  externalIds: string[];
  /** The sign-in name (SCIM userName candidates), e.g. preferred_username or UPN. */
  userName: string | null;
  email: string | null;
  /**
   * The IdP vouches for `email` (and, for Entra, the UPN's domain): `email_verified: true`, or
   * Entra's `xms_edov: true`. Only then may a name match bind an account, and only where the
   * connection opts in.
   */
  emailVerified: boolean;
  displayName: string | null;
  /** The directory tenant, where the IdP has several (Entra `tid`). */
  tenant: string | null;
  /** Whether the sign-in used more than one factor (RFC 8176 `amr`, or an MFA `acr`). */
  multiFactor: boolean;
  /** Group ids or names from the token; null when the token has none. */
  groups: string[] | null;
  /** The IdP left the groups out because there were too many (Entra's overage indicator). */
  groupsOverage: boolean;
}

/**
 * One per IdP kind, like step-ca's provisioners: turns validated ID token claims into an
 * IdpIdentity and enforces what is specific to that IdP (Entra's tenant allow-list...).
 * Throws an enrollment error when the claims do not identify a person well enough.
 */
export interface IdpClaimStrategy {
  readonly kind: IdpKind;
  identify(claims: JWTPayload, connection: IdpConnection): IdpIdentity;
}
