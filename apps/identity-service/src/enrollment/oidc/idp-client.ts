import * as oidc from 'openid-client';
import type { IdpConnection } from '../../orgs/index.js';
import { refuse } from '../enrollment.errors.js';
import { isAcceptableIdpUrl, type ProviderMetadata } from './idp-metadata.js';

const IDP_TIMEOUT_S = 10;

/** Scopes that give us the claims enrollment maps (OIDC Core §5.4). */
export const ENROLLMENT_SCOPE = 'openid email profile';

/**
 * The service as a confidential OAuth client of the IdP (openid-client), built from the
 * discovery document we already cached for ID token validation.
 */
export function idpClient(connection: IdpConnection, metadata: ProviderMetadata, clientSecret: string | null): oidc.Configuration {
  if (!clientSecret) refuse('idp_error', 'this IdP connection has no client secret, so the service cannot sign users in itself');
  const config = new oidc.Configuration(metadata as oidc.ServerMetadata, connection.clientId, undefined, oidc.ClientSecretBasic(clientSecret));
  config.timeout = IDP_TIMEOUT_S;
  // Loopback http only (tests, DEV IdP): isAcceptableIdpUrl already refused anything else.
  if (new URL(connection.issuer).protocol === 'http:' && isAcceptableIdpUrl(connection.issuer)) oidc.allowInsecureRequests(config);
  return config;
}

/** An OAuth error answer from the IdP (RFC 6749 §5.2, RFC 8628 §3.5), or null for anything else. */
export function oauthErrorOf(e: unknown): string | null {
  if (e instanceof oidc.ResponseBodyError) return e.error;
  if (e instanceof oidc.AuthorizationResponseError) return e.error;
  return null;
}
