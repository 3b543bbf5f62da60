import { Injectable } from '@nestjs/common';
import { decodeJwt, type JWTPayload } from 'jose';
import { keyBoundNonce } from '#protocol';
import { OrgErrors, OrgsService, type IdpConnection, type Org } from '../../orgs/index.js';
import { claimStrategyFor } from '../claims/claim-strategies.js';
import type { IdpIdentity } from '../claims/idp-identity.js';
import { refuse } from '../enrollment.errors.js';
import { validateIdToken } from './id-token-validation.js';
import { checkSignInFreshness, type SignInFreshness } from './sign-in-freshness.js';
import { IdpMetadataCache } from './idp-metadata.js';

export interface AuthenticatedPerson {
  connection: IdpConnection;
  claims: JWTPayload;
  identity: IdpIdentity;
}

/**
 * Who signed in, proven by an ID token bound to the enrolling key: picks the org's IdP
 * connection, validates the token against it, maps the claims with the connection kind's
 * strategy and applies the connection's MFA requirement.
 */
@Injectable()
export class IdTokenAuthenticator {
  constructor(
    private readonly metadata: IdpMetadataCache,
    private readonly orgs: OrgsService,
  ) {}

  async authenticate(
    org: Org,
    idToken: string,
    subjectPublicKeyInfo: Uint8Array,
    connectionHint?: string,
    freshness?: SignInFreshness,
  ): Promise<AuthenticatedPerson> {
    const connection = await this.connectionFor(org, idToken, connectionHint);
    return this.authenticateWith(connection, idToken, subjectPublicKeyInfo, false, freshness);
  }

  /**
   * `fromTokenEndpoint`: the token reached us directly from the IdP in a device flow (see
   * IdTokenExpectations.nonce); every other token must carry the key-bound nonce.
   */
  async authenticateWith(
    connection: IdpConnection,
    idToken: string,
    subjectPublicKeyInfo: Uint8Array,
    fromTokenEndpoint = false,
    freshness?: SignInFreshness,
  ): Promise<AuthenticatedPerson> {
    return this.authenticateBound(connection, idToken, keyBoundNonce(subjectPublicKeyInfo), fromTokenEndpoint, freshness);
  }

  /**
   * As `authenticate`, for a token that must carry `nonce` (re-authentication binds it to a
   * signed request). The sign-in is held to the same freshness (and MFA needs `auth_time`).
   */
  async authenticateWithNonce(
    org: Org,
    idToken: string,
    nonce: string,
    connectionHint: string | undefined,
    freshness: SignInFreshness,
  ): Promise<AuthenticatedPerson> {
    return this.authenticateBound(await this.connectionFor(org, idToken, connectionHint), idToken, nonce, false, freshness);
  }

  private async authenticateBound(
    connection: IdpConnection,
    idToken: string,
    bound: string,
    fromTokenEndpoint: boolean,
    freshness?: SignInFreshness,
  ): Promise<AuthenticatedPerson> {
    const keys = await this.metadata.keysFor(connection);
    const claims = await validateIdToken(idToken, {
      issuer: connection.issuer,
      audiences: [connection.clientId, ...connection.nativeClientIds],
      nonce: fromTokenEndpoint ? null : bound,
      sentNonce: bound,
      metadata: keys.metadata,
      keys: keys.jwks,
    });
    // An MFA claim from an SSO session of last week is no MFA now: with MFA required, auth_time must be there.
    if (freshness) checkSignInFreshness(claims, { ...freshness, required: freshness.required || connection.requireMfa });
    const identity = claimStrategyFor(connection.kind).identify(claims, connection);
    if (connection.requireMfa && !identity.multiFactor) {
      refuse('mfa_required', 'this org requires multi-factor sign-in to enroll a device');
    }
    return { connection, claims, identity };
  }

  /**
   * The connection named by the caller, else the one whose issuer the (not yet verified)
   * token names. The choice only selects which keys verify the token; `iss` is then
   * checked exactly against that connection.
   */
  async connectionFor(org: Org, idToken: string | null, hint?: string): Promise<IdpConnection> {
    const all = await this.orgs.listIdpConnections(org.id);
    if (hint !== undefined) {
      const named = all.find((c) => c.id === hint || c.name === hint);
      if (!named) throw OrgErrors.error('idp_connection_not_found', `no IdP connection "${hint}" in this org`);
      return named;
    }
    if (all.length === 0) throw OrgErrors.error('idp_connection_not_found', 'this org has no IdP connection');
    if (all.length === 1) return all[0];
    if (idToken !== null) {
      let iss: unknown;
      try {
        iss = decodeJwt(idToken).iss;
      } catch {
        refuse('id_token_malformed', 'the ID token is not a JWT');
      }
      const byIssuer = all.filter((c) => c.issuer === iss);
      if (byIssuer.length === 1) return byIssuer[0];
      if (byIssuer.length === 0) refuse('id_token_wrong_issuer', 'the ID token was issued by no IdP of this org');
    }
    refuse('idp_connection_ambiguous', 'this org has several IdP connections: name one (idpConnection)');
  }
}
