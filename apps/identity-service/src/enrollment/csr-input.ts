import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { csrInput } from '#protocol';
import { checkCertificationRequest, X509ProfileError, type CertificationRequestParts, type CheckedCsr } from '#x509-profile';
import { refuse } from './enrollment.errors.js';

/**
 * The device's PKCS#10 request, in a form #protocol csrInput accepts (PEM, base64 or base64url
 * DER), checked by the device-certificate profile: proof of possession (its self-signature)
 * and the key type of the cipher suite.
 */
export async function checkDeviceCsr(csr: string, ciphersuite: number): Promise<CheckedCsr & { der: Buffer }> {
  const input = csrInput(csr) ?? refuse('csr_invalid', 'csr must be PEM or base64 DER');
  try {
    const checked = await checkCertificationRequest(input, { ciphersuite, verify: verifyCsrSignature });
    return { ...checked, der: Buffer.from(typeof input === 'string' ? pemBody(input) : input) };
  } catch (e) {
    if (e instanceof X509ProfileError) refuse('csr_invalid', e.message, { code: e.code });
    throw e;
  }
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END)[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * Proof of possession with node:crypto, synchronously: WebCrypto would import the key and
 * queue the verification on the thread pool for every request. The key is imported as a JWK
 * from the bits the reader found: OpenSSL 3 decodes a DER SPKI ten times slower (≈ 75 µs for
 * Ed25519, most of a verification). A false answer (or a key OpenSSL will not load, such as
 * a point off the curve) sends the request down the reference path, which words the refusal.
 */
export function verifyCsrSignature(parts: CertificationRequestParts): boolean {
  try {
    const key = createPublicKey({ key: jwkOf(parts), format: 'jwk' });
    if (parts.keyAlgorithm === 'Ed25519') return verify(null, parts.signedData, key, parts.signature);
    return verify(parts.keyAlgorithm === 'P-256' ? 'sha256' : 'sha384', parts.signedData, { key, dsaEncoding: 'der' }, parts.signature);
  } catch {
    return false;
  }
}

function jwkOf({ keyAlgorithm, subjectPublicKey: bits }: CertificationRequestParts): JsonWebKey {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  if (keyAlgorithm === 'Ed25519') return { kty: 'OKP', crv: 'Ed25519', x: b64(bits) };
  const n = (bits.length - 1) / 2;
  return { kty: 'EC', crv: keyAlgorithm, x: b64(bits.subarray(1, 1 + n)), y: b64(bits.subarray(1 + n)) };
}
