// The OIDC `nonce` that binds an ID token to the one signature key being enrolled:
// base64url(SHA-256(SubjectPublicKeyInfo DER)). The native app asks its IdP for it, the
// service accepts an ID token only with the nonce of the key in the CSR. Synchronous
// (@noble/hashes) so that the service's validation and the SDK compute it the same way.
import { sha256 } from '@noble/hashes/sha2';
import { encodeBase64Url } from './base64.js';

export function keyBoundNonce(subjectPublicKeyInfo: Uint8Array): string {
  return encodeBase64Url(sha256(subjectPublicKeyInfo));
}

const REAUTHENTICATION_LABEL = new TextEncoder().encode('mls-identity reauthenticate\0');

/**
 * The nonce of re-authentication (an enrolled device signs in again and keeps its identity):
 * base64url(SHA-256("mls-identity reauthenticate" 0x00 || SPKI || jti)), where jti is the one
 * of the MLS-Device signature on the same request. The ID token is thereby bound to the
 * device's key AND to that one signed request, and differs from the enrollment nonce (which
 * the service already spent).
 */
export function reauthenticationNonce(subjectPublicKeyInfo: Uint8Array, jti: string): string {
  const jtiBytes = new TextEncoder().encode(jti);
  const input = new Uint8Array(REAUTHENTICATION_LABEL.length + subjectPublicKeyInfo.length + jtiBytes.length);
  input.set(REAUTHENTICATION_LABEL, 0);
  input.set(subjectPublicKeyInfo, REAUTHENTICATION_LABEL.length);
  input.set(jtiBytes, REAUTHENTICATION_LABEL.length + subjectPublicKeyInfo.length);
  return encodeBase64Url(sha256(input));
}
