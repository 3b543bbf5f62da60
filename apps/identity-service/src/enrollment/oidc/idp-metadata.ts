import { Injectable } from '@nestjs/common';
import { createRemoteJWKSet, type RemoteJWKSet } from 'jose';
import type { IdpConnection } from '../../orgs/index.js';
import { EnrollmentErrors, refuse } from '../enrollment.errors.js';

/** OpenID Connect Discovery 1.0 §3: the provider metadata members enrollment uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri: string;
  device_authorization_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  code_challenge_methods_supported?: string[];
  [member: string]: unknown;
}

export interface IdpKeys {
  metadata: ProviderMetadata;
  jwks: RemoteJWKSet;
}

/** Discovery documents change rarely; keys rotate, which the JWKS set handles by `kid`. */
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
/** A JWKS older than this is refetched before use even when the `kid` is known. */
const JWKS_MAX_AGE_MS = 10 * 60 * 1000;
/**
 * After a fetch, an unknown `kid` does not trigger another fetch for this long: one refetch
 * per window, so tokens with made-up `kid`s cannot make us hammer the IdP.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 30 * 1000;
const FETCH_TIMEOUT_MS = 5000;

/**
 * Plain http is accepted only for loopback IdPs (tests and the DEV IdP); anything that
 * crosses a network must be https, or an attacker on the path could swap the keys.
 */
export function isAcceptableIdpUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

/**
 * Per IdP connection: the discovery document and a remote JWKS set, both cached in memory.
 * Nothing here is authoritative (a replica that restarts just fetches again).
 */
@Injectable()
export class IdpMetadataCache {
  private readonly entries = new Map<string, { keys: IdpKeys; fetchedAt: number }>();
  private readonly inflight = new Map<string, Promise<IdpKeys>>();

  async keysFor(connection: IdpConnection): Promise<IdpKeys> {
    // Editing a connection's issuer makes a new cache entry, never reuses the old keys.
    const cacheKey = `${connection.id}|${connection.issuer}`;
    const hit = this.entries.get(cacheKey);
    if (hit && Date.now() - hit.fetchedAt < DISCOVERY_TTL_MS) return hit.keys;
    let pending = this.inflight.get(cacheKey);
    if (!pending) {
      pending = this.discover(connection.issuer).finally(() => this.inflight.delete(cacheKey));
      this.inflight.set(cacheKey, pending);
    }
    const keys = await pending;
    this.entries.set(cacheKey, { keys, fetchedAt: Date.now() });
    return keys;
  }

  /** OpenID Connect Discovery 1.0 §4: fetch `/.well-known/openid-configuration`, §4.3: check it. */
  private async discover(issuer: string): Promise<IdpKeys> {
    if (!isAcceptableIdpUrl(issuer)) refuse('idp_error', `the IdP issuer ${issuer} is not an https URL`);
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let metadata: ProviderMetadata;
    try {
      const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!res.ok) refuse('idp_unavailable', `IdP discovery answered HTTP ${res.status}`);
      metadata = (await res.json()) as ProviderMetadata;
    } catch (e) {
      if (EnrollmentErrors.is(e)) throw e;
      refuse('idp_unavailable', `IdP discovery at ${url} failed`);
    }
    // §4.3: the issuer in the document must be exactly the one we asked, or the document
    // (and its keys) may speak for someone else.
    if (!metadata || typeof metadata !== 'object' || metadata.issuer !== issuer) {
      refuse('idp_error', `IdP discovery document names issuer ${String(metadata?.issuer)}, expected ${issuer}`);
    }
    if (typeof metadata.jwks_uri !== 'string' || !isAcceptableIdpUrl(metadata.jwks_uri)) {
      refuse('idp_error', 'IdP discovery document has no usable jwks_uri');
    }
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: FETCH_TIMEOUT_MS,
    });
    return { metadata, jwks };
  }

  /** For tests and admin changes: forget what we know about a connection. */
  forget(connectionId: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${connectionId}|`)) this.entries.delete(key);
  }
}
