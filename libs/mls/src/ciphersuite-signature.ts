// RFC 9420 §5.1 / §17.1: the cipher suites this project holds signature keys for, and the
// signature scheme of each. The one table: the certificate profile checks keys against it,
// the SDK generates keys and signs device requests with it, the service picks its
// external-sender key algorithm from it. Pure data (no ts-mls, no WebCrypto call), so that
// any lib may depend on it.
import { MlsUnsupportedCiphersuiteError } from './errors.js';

/** The public-key algorithms of the supported signature schemes (WebCrypto curve names). */
export type SignatureKeyAlgorithm = 'Ed25519' | 'P-256' | 'P-384';

export interface CiphersuiteSignature {
  /** RFC 9420 §17.1 registry value. */
  readonly ciphersuite: number;
  /** Registry name (as ts-mls spells it). */
  readonly name: string;
  /** TLS SignatureScheme name of RFC 9420 §17.1. */
  readonly signatureScheme: 'ed25519' | 'ecdsa_secp256r1_sha256' | 'ecdsa_secp384r1_sha384';
  readonly keyAlgorithm: SignatureKeyAlgorithm;
  /** JWS `alg` for this key (RFC 8037 §3.1, RFC 7518 §3.4): how device requests are signed. */
  readonly jwsAlg: 'EdDSA' | 'ES256' | 'ES384';
}

const SUPPORTED: ReadonlyMap<number, CiphersuiteSignature> = new Map(
  (
    [
      [0x0001, 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', 'ed25519', 'Ed25519', 'EdDSA'],
      [0x0002, 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256', 'ecdsa_secp256r1_sha256', 'P-256', 'ES256'],
      [0x0003, 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519', 'ed25519', 'Ed25519', 'EdDSA'],
      [0x0007, 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384', 'ecdsa_secp384r1_sha384', 'P-384', 'ES384'],
    ] as const
  ).map(([ciphersuite, name, signatureScheme, keyAlgorithm, jwsAlg]) => [ciphersuite, { ciphersuite, name, signatureScheme, keyAlgorithm, jwsAlg }]),
);

/** Registered suites whose signature algorithm (Ed448, P-521) WebCrypto cannot use in every runtime we serve. */
const UNSUPPORTED: ReadonlyMap<number, string> = new Map([
  [0x0004, 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448'],
  [0x0005, 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521'],
  [0x0006, 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448'],
]);

export const SUPPORTED_CIPHERSUITES: readonly number[] = [...SUPPORTED.keys()];

/** The signature scheme of a supported suite; MlsUnsupportedCiphersuiteError for any other. */
export function ciphersuiteSignature(ciphersuite: number): CiphersuiteSignature {
  const known = SUPPORTED.get(ciphersuite);
  if (known) return known;
  const unsupported = UNSUPPORTED.get(ciphersuite);
  const hex = `0x${Number(ciphersuite).toString(16).padStart(4, '0')}`;
  throw new MlsUnsupportedCiphersuiteError(
    unsupported ? `cipher suite ${hex} (${unsupported}) is not supported by this profile` : `unknown MLS cipher suite ${hex}`,
  );
}

/** The supported suite with this registry name (a GroupContext's cipherSuite in ts-mls). */
export function ciphersuiteSignatureByName(name: string): CiphersuiteSignature {
  for (const suite of SUPPORTED.values()) if (suite.name === name) return suite;
  throw new MlsUnsupportedCiphersuiteError(`cipher suite ${name} is not supported`);
}

/**
 * WebCrypto parameters for a signature key algorithm: key generation, signing (ECDSA hashes
 * with the curve's size, RFC 9420 §17.1) and import. Plain objects, assignable to the
 * WebCrypto parameter types of both Node and browsers.
 */
export function webCryptoSignatureParams(algorithm: SignatureKeyAlgorithm) {
  if (algorithm === 'Ed25519') {
    return { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' }, importParams: { name: 'Ed25519' } } as const;
  }
  const hash = algorithm === 'P-256' ? 'SHA-256' : 'SHA-384';
  return {
    generate: { name: 'ECDSA', namedCurve: algorithm },
    sign: { name: 'ECDSA', hash },
    importParams: { name: 'ECDSA', namedCurve: algorithm },
  } as const;
}
