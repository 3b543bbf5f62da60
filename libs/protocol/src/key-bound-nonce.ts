// The OIDC `nonce` that binds an ID token to the one signature key being enrolled:
// base64url(SHA-256(SubjectPublicKeyInfo DER)). The native app asks its IdP for it, the
// service accepts an ID token only with the nonce of the key in the CSR. Synchronous
// (@noble/hashes) so that the service's validation and the SDK compute it the same way.
import { sha256 } from '@noble/hashes/sha2';
import { encodeBase64Url } from './base64.js';

export function keyBoundNonce(subjectPublicKeyInfo: Uint8Array): string {
  return encodeBase64Url(sha256(subjectPublicKeyInfo));
}
