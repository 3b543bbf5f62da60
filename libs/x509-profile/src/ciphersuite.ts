import { ciphersuiteSignature, MlsUnsupportedCiphersuiteError, type CiphersuiteSignature, type SignatureKeyAlgorithm } from '#mls';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CiphersuiteMismatchError, MalformedInputError, ProfileParameterError, UnsupportedCiphersuiteError } from './errors.js';
import { toHex } from './bytes.js';
import { startsWith } from './der-reader.js';

/** Public-key algorithms this profile knows by name (RFC 8410 and RFC 5480 curves). */
export type KeyAlgorithmName = 'Ed25519' | 'Ed448' | 'P-256' | 'P-384' | 'P-521';

/** The key algorithms a device or CA certificate may carry under this profile. */
export type SupportedKeyAlgorithm = SignatureKeyAlgorithm;

/**
 * The signature scheme of an RFC 9420 §17.1 cipher suite, from the one table in libs/mls;
 * throws this profile's UnsupportedCiphersuiteError (what callers map) for any other suite.
 */
export function profileCiphersuite(ciphersuite: number): CiphersuiteSignature {
  try {
    return ciphersuiteSignature(ciphersuite);
  } catch (error) {
    if (error instanceof MlsUnsupportedCiphersuiteError) throw new UnsupportedCiphersuiteError(error.message, { cause: error });
    throw error;
  }
}

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
  const canonical = canonicalSpki(spkiDer);
  if (canonical) return canonical;
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

/**
 * The one DER spelling of each supported key's SPKI: header and algorithm, then the key. An
 * input that starts with one of these and has its length can only parse to that key, so the
 * schema parser (the reference, for everything else) is skipped.
 */
const CANONICAL_SPKI: readonly { algorithm: KeyAlgorithmName; prefix: Uint8Array; keyOffset: number; length: number }[] = [
  { algorithm: 'Ed25519', prefix: hexBytes('302a300506032b6570032100'), keyOffset: 12, length: 44 },
  { algorithm: 'P-256', prefix: hexBytes('3059301306072a8648ce3d020106082a8648ce3d03010703420004'), keyOffset: 26, length: 91 },
  { algorithm: 'P-384', prefix: hexBytes('3076301006072a8648ce3d020106052b8104002203620004'), keyOffset: 23, length: 120 },
];

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function canonicalSpki(spkiDer: Uint8Array): PublicKeyDescription | undefined {
  for (const known of CANONICAL_SPKI) {
    if (spkiDer.length === known.length && startsWith(spkiDer, known.prefix)) {
      return { algorithm: known.algorithm, rawKey: spkiDer.slice(known.keyOffset) };
    }
  }
  return undefined;
}

function namedCurve(parameters: ArrayBuffer): KeyAlgorithmName | undefined {
  return CURVE_BY_PARAMETERS_HEX[toHex(parameters)];
}

/** Requires that a SubjectPublicKeyInfo carries exactly the signature key type of the cipher suite. */
export function requireKeyMatchesCiphersuite(spkiDer: Uint8Array, ciphersuite: number): PublicKeyDescription {
  const expected = profileCiphersuite(ciphersuite);
  const key = describePublicKey(spkiDer);
  if (key.algorithm !== expected.keyAlgorithm) {
    throw new CiphersuiteMismatchError(`cipher suite ${expected.name} needs a ${expected.keyAlgorithm} key, got ${key.algorithm}`);
  }
  return key;
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
