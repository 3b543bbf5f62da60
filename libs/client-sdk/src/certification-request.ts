// RFC 2986 PKCS#10 request for the device's MLS signature key, and the enrollment nonce that
// binds an ID token to that key. @peculiar/x509 builds it over WebCrypto, in Node and browsers.
import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { keyBoundNonce as nonceOfKey } from '#protocol';
import { ciphersuiteKeyParams } from './ciphersuite.js';
import type { DeviceKeys } from './device-keys.js';
import { webCrypto } from './web-crypto.js';

export interface CertificationRequest {
  readonly pem: string;
  readonly der: Uint8Array;
}

/**
 * The service ignores the subject (the certificate's names come from the IdP account), so the
 * default is a neutral one; the request's self-signature proves possession of the key.
 */
export async function createCertificationRequest(
  keys: DeviceKeys,
  options: { subject?: string; crypto?: Crypto } = {},
): Promise<CertificationRequest> {
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: options.subject ?? 'CN=mls-device', keys: keys.keyPair, signingAlgorithm: ciphersuiteKeyParams(keys.ciphersuite).sign },
    webCrypto(options.crypto),
  );
  return { pem: csr.toString('pem'), der: new Uint8Array(csr.rawData) };
}

/**
 * The OIDC `nonce` a native app asks its IdP for: base64url(SHA-256(SubjectPublicKeyInfo DER)),
 * computed by the same function the service checks it with. The service accepts an ID token
 * only with the nonce of the key being certified.
 */
export function keyBoundNonce(keys: DeviceKeys): Promise<string> {
  return Promise.resolve(nonceOfKey(keys.subjectPublicKeyInfo));
}
