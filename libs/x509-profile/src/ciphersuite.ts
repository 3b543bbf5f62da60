import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import {
  CiphersuiteMismatchError,
  MalformedInputError,
  ProfileParameterError,
  UnsupportedCiphersuiteError,
} from './errors.js';

/** Public-key algorithms this profile knows by name (RFC 8410 and RFC 5480 curves). */
export type KeyAlgorithmName = 'Ed25519' | 'Ed448' | 'P-256' | 'P-384' | 'P-521';

/** The key algorithms a device or CA certificate may carry under this profile. */
export type SupportedKeyAlgorithm = 'Ed25519' | 'P-256' | 'P-384';

/** RFC 9420 §17.1 cipher suites whose signature scheme this profile supports. */
export interface CiphersuiteSignature {
  readonly ciphersuite: number;
  readonly name: string;
  /** TLS SignatureScheme name of RFC 9420 §17.1. */
  readonly signatureScheme: 'ed25519' | 'ecdsa_secp256r1_sha256' | 'ecdsa_secp384r1_sha384';
  readonly keyAlgorithm: SupportedKeyAlgorithm;
}

const SUPPORTED: ReadonlyMap<number, CiphersuiteSignature> = new Map([
  [0x0001, { ciphersuite: 0x0001, name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519', signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519' }],
  [0x0002, { ciphersuite: 0x0002, name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256', signatureScheme: 'ecdsa_secp256r1_sha256', keyAlgorithm: 'P-256' }],
  [0x0003, { ciphersuite: 0x0003, name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519', signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519' }],
  [0x0007, { ciphersuite: 0x0007, name: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384', signatureScheme: 'ecdsa_secp384r1_sha384', keyAlgorithm: 'P-384' }],
] as const);

/** Registered suites whose signature algorithm WebCrypto in Node cannot use for X.509 here. */
const UNSUPPORTED: ReadonlyMap<number, string> = new Map([
  [0x0004, 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448'],
  [0x0005, 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521'],
  [0x0006, 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448'],
]);

/** The signature scheme of an RFC 9420 §17.1 cipher suite; throws for suites this profile does not offer. */
export function ciphersuiteSignature(ciphersuite: number): CiphersuiteSignature {
  const known = SUPPORTED.get(ciphersuite);
  if (known) return known;
  const unsupported = UNSUPPORTED.get(ciphersuite);
  const hex = `0x${ciphersuite.toString(16).padStart(4, '0')}`;
  throw new UnsupportedCiphersuiteError(
    unsupported ? `cipher suite ${hex} (${unsupported}) is not supported by this profile` : `unknown MLS cipher suite ${hex}`,
  );
}

export const supportedCiphersuites: readonly number[] = [...SUPPORTED.keys()];

const OID_ED25519 = '1.3.101.112';
const OID_ED448 = '1.3.101.113';
const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** DER of the namedCurve OBJECT IDENTIFIERs (RFC 5480 §2.1.1.1), compared byte for byte. */
const CURVE_BY_PARAMETERS_HEX: Readonly<Record<string, KeyAlgorithmName>> = {
  '06082a8648ce3d030107': 'P-256',
  '06052b81040022': 'P-384',
  '06052b81040023': 'P-521',
};
/** Uncompressed SEC1 point lengths (0x04 || X || Y): MLS signature keys use this form. */
const EC_POINT_LENGTH: Readonly<Record<string, number>> = { 'P-256': 65, 'P-384': 97, 'P-521': 133 };

/** A SubjectPublicKeyInfo reduced to what the profile checks. */
export interface PublicKeyDescription {
  readonly algorithm: KeyAlgorithmName;
  /** The subjectPublicKey bits: the raw key MLS carries as `signature_key` (RFC 9420 §5.1.2). */
  readonly rawKey: Uint8Array;
}

/**
 * Identifies the key algorithm of a DER SubjectPublicKeyInfo (RFC 8410 §4 for EdDSA with absent
 * parameters, RFC 5480 §2.1.1 namedCurve for ECDSA) and checks the key length for that algorithm.
 */
export function describePublicKey(spkiDer: Uint8Array): PublicKeyDescription {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new MalformedInputError('SubjectPublicKeyInfo is not valid DER', { cause });
  }
  const rawKey = new Uint8Array(spki.subjectPublicKey);
  const { algorithm, parameters } = spki.algorithm;
  if (algorithm === OID_ED25519 || algorithm === OID_ED448) {
    const name = algorithm === OID_ED25519 ? 'Ed25519' : 'Ed448';
    if (parameters != null || rawKey.byteLength !== (name === 'Ed25519' ? 32 : 57)) {
      throw new MalformedInputError(`${name} public key has parameters or a wrong length`);
    }
    return { algorithm: name, rawKey };
  }
  if (algorithm === OID_EC_PUBLIC_KEY) {
    const curve = parameters ? namedCurve(parameters) : undefined;
    if (!curve) {
      throw new CiphersuiteMismatchError('EC public key does not name a supported curve');
    }
    if (rawKey.byteLength !== EC_POINT_LENGTH[curve] || rawKey[0] !== 0x04) {
      throw new MalformedInputError(`${curve} public key is not an uncompressed point`);
    }
    return { algorithm: curve, rawKey };
  }
  throw new CiphersuiteMismatchError(`public key algorithm ${algorithm} is not allowed by this profile`);
}

function namedCurve(parameters: ArrayBuffer): KeyAlgorithmName | undefined {
  return CURVE_BY_PARAMETERS_HEX[Buffer.from(parameters).toString('hex')];
}

/** Requires that a SubjectPublicKeyInfo carries exactly the signature key type of the cipher suite. */
export function requireKeyMatchesCiphersuite(spkiDer: Uint8Array, ciphersuite: number): PublicKeyDescription {
  const expected = ciphersuiteSignature(ciphersuite);
  const key = describePublicKey(spkiDer);
  if (key.algorithm !== expected.keyAlgorithm) {
    throw new CiphersuiteMismatchError(
      `cipher suite ${expected.name} needs a ${expected.keyAlgorithm} key, got ${key.algorithm}`,
    );
  }
  return key;
}

/** WebCrypto parameters for a supported key algorithm. */
export function webCryptoKeyParams(algorithm: SupportedKeyAlgorithm): Algorithm | EcKeyImportParams {
  return algorithm === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: algorithm };
}

/**
 * The X.509 signature algorithm an issuer key signs with: Ed25519 (RFC 8410), or ECDSA with
 * the hash matching the curve size (RFC 5758 §3.2).
 */
export function signingAlgorithmFor(key: CryptoKey): Algorithm | EcdsaParams {
  const { name } = key.algorithm;
  if (name === 'Ed25519') return { name: 'Ed25519' };
  if (name === 'ECDSA') {
    const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
    if (curve === 'P-256') return { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;
    if (curve === 'P-384') return { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams;
  }
  throw new ProfileParameterError(`issuer key algorithm ${name} is not allowed by this profile`);
}

