// RFC 9420 §5.1 cipher suites this SDK can hold a signature key for, and how WebCrypto and
// JWS (RFC 7518 / RFC 8037) name that key. The service signs certificates for the same set.
import { UnsupportedCiphersuite } from './errors.js';

export interface CiphersuiteKeyParams {
  /** RFC 9420 §17.1 registry value. */
  readonly code: number;
  /** ts-mls name of the suite. */
  readonly name: string;
  readonly generate: Algorithm | EcKeyGenParams;
  readonly sign: Algorithm | EcdsaParams;
  readonly importParams: Algorithm | EcKeyImportParams;
  /** JWS `alg` of device-signed requests. */
  readonly jwsAlg: 'EdDSA' | 'ES256' | 'ES384';
}

const ED25519 = { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' }, importParams: { name: 'Ed25519' }, jwsAlg: 'EdDSA' } as const;
const P256 = {
  generate: { name: 'ECDSA', namedCurve: 'P-256' },
  sign: { name: 'ECDSA', hash: 'SHA-256' },
  importParams: { name: 'ECDSA', namedCurve: 'P-256' },
  jwsAlg: 'ES256',
} as const;
const P384 = {
  generate: { name: 'ECDSA', namedCurve: 'P-384' },
  sign: { name: 'ECDSA', hash: 'SHA-384' },
  importParams: { name: 'ECDSA', namedCurve: 'P-384' },
  jwsAlg: 'ES384',
} as const;

const SUITES: ReadonlyMap<number, CiphersuiteKeyParams> = new Map([
  [0x0001, { code: 0x0001, name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', ...ED25519 }],
  [0x0002, { code: 0x0002, name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256', ...P256 }],
  [0x0003, { code: 0x0003, name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519', ...ED25519 }],
  [0x0007, { code: 0x0007, name: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384', ...P384 }],
]);

export const SUPPORTED_CIPHERSUITES: readonly number[] = [...SUITES.keys()];

export function ciphersuiteKeyParams(ciphersuite: number): CiphersuiteKeyParams {
  const params = SUITES.get(ciphersuite);
  if (!params) throw new UnsupportedCiphersuite(`cipher suite ${ciphersuite} is not supported (supported: ${SUPPORTED_CIPHERSUITES.join(', ')})`);
  return params;
}

/** The suite by its ts-mls name (a GroupContext's cipherSuite). */
export function ciphersuiteByName(name: string): CiphersuiteKeyParams {
  for (const s of SUITES.values()) if (s.name === name) return s;
  throw new UnsupportedCiphersuite(`cipher suite ${name} is not supported`);
}
