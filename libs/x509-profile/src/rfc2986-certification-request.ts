// RFC 2986 §4 CertificationRequest, read by a minimal DER reader for the enrollment hot path.
// It recognizes only the plain shape device requests have: version 0, a subject of simple
// string attributes, one of the profile's SPKIs in its DER spelling, no attributes, and a
// signature algorithm matching the key. Anything else is not "refused" here but left to the
// @peculiar/x509 reference path, which then accepts or refuses it with its own reasons.
import type { SupportedKeyAlgorithm } from './ciphersuite.js';
import { canonicalSpki } from './ciphersuite.js';
import { bytesOf, contentsOf, equalBytes, readChildren, readElement, type DerElement } from './der-reader.js';

/** The parts of a request its signature check needs. */
export interface CertificationRequestParts {
  readonly keyAlgorithm: SupportedKeyAlgorithm;
  /** DER SubjectPublicKeyInfo (exactly its bytes in the request). */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Its subjectPublicKey bits: the raw Ed25519 key, or the uncompressed point 0x04 ‖ X ‖ Y. */
  readonly subjectPublicKey: Uint8Array;
  /** The DER certificationRequestInfo: what the signature covers. */
  readonly signedData: Uint8Array;
  /** As X.509 carries it: the raw Ed25519 signature, or a DER ECDSA-Sig-Value (hash: SHA-256 for P-256, SHA-384 for P-384). */
  readonly signature: Uint8Array;
}

const VERSION_0 = Uint8Array.of(0x02, 0x01, 0x00);
const NO_ATTRIBUTES = Uint8Array.of(0xa0, 0x00);
const hex = (h: string) => Uint8Array.from(h.match(/../g)!, (b) => parseInt(b, 16));
/** RFC 8410 §3 and RFC 5758 §3.2 AlgorithmIdentifiers, without parameters, per key. */
const SIGNATURE_ALGORITHM: Record<SupportedKeyAlgorithm, Uint8Array> = {
  Ed25519: hex('300506032b6570'),
  'P-256': hex('300a06082a8648ce3d040302'),
  'P-384': hex('300a06082a8648ce3d040303'),
};
const EC_FIELD_OCTETS: Record<SupportedKeyAlgorithm, number> = { Ed25519: 0, 'P-256': 32, 'P-384': 48 };
const MAX_RDNS = 16;
const MAX_ATTRIBUTE_VALUE = 256;
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request's parts when it has the plain device shape in DER, else undefined (the caller
 * then asks the reference parser). `der` is one whole DER SEQUENCE (see decodeDerOrPem).
 */
export function readPlainCertificationRequest(der: Uint8Array): CertificationRequestParts | undefined {
  const outer = readElement(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return undefined;
  const top = readChildren(der, outer, 3);
  if (top?.length !== 3) return undefined;
  const [info, algorithm, signatureBits] = top;
  if (info.tag !== 0x30 || signatureBits.tag !== 0x03) return undefined;

  const fields = readChildren(der, info, 4);
  if (fields?.length !== 4) return undefined;
  const [version, subject, spkiElement, attributes] = fields;
  if (!equalBytes(bytesOf(der, version), VERSION_0) || !equalBytes(bytesOf(der, attributes), NO_ATTRIBUTES)) return undefined;
  if (!isPlainName(der, subject)) return undefined;
  const subjectPublicKeyInfo = bytesOf(der, spkiElement);
  const key = canonicalSpki(subjectPublicKeyInfo);
  if (!key || key.algorithm === 'Ed448' || key.algorithm === 'P-521') return undefined;
  const keyAlgorithm = key.algorithm;
  if (!equalBytes(bytesOf(der, algorithm), SIGNATURE_ALGORITHM[keyAlgorithm])) return undefined;

  const bits = contentsOf(der, signatureBits);
  if (bits.length < 1 || bits[0] !== 0) return undefined;
  const signature = bits.subarray(1);
  if (keyAlgorithm === 'Ed25519' ? signature.length !== 64 : !isPlainEcdsaSignature(signature, EC_FIELD_OCTETS[keyAlgorithm])) return undefined;
  return { keyAlgorithm, subjectPublicKeyInfo, subjectPublicKey: key.rawKey, signedData: bytesOf(der, info), signature };
}

/** RDNSequence of single-valued RDNs whose values are non-empty UTF8String or PrintableString. */
function isPlainName(der: Uint8Array, name: DerElement): boolean {
  if (name.tag !== 0x30) return false;
  const rdns = readChildren(der, name, MAX_RDNS);
  if (!rdns) return false;
  for (const rdn of rdns) {
    if (rdn.tag !== 0x31) return false;
    const atvs = readChildren(der, rdn, 1);
    if (atvs?.length !== 1 || atvs[0].tag !== 0x30) return false;
    const pair = readChildren(der, atvs[0], 2);
    if (pair?.length !== 2 || !isObjectIdentifier(der, pair[0])) return false;
    const value = pair[1];
    const length = value.end - value.contentStart;
    if (length < 1 || length > MAX_ATTRIBUTE_VALUE) return false;
    if (value.tag === 0x0c) {
      try {
        strictUtf8.decode(contentsOf(der, value));
      } catch {
        return false;
      }
    } else if (value.tag !== 0x13 || !PRINTABLE.test(String.fromCharCode(...contentsOf(der, value)))) {
      return false;
    }
  }
  return true;
}

/** X.690 §8.19: non-empty, each subidentifier minimal (no leading 0x80), the last one ended. */
function isObjectIdentifier(der: Uint8Array, element: DerElement): boolean {
  const content = contentsOf(der, element);
  if (element.tag !== 0x06 || content.length < 1 || content.length > 32 || content[content.length - 1] & 0x80) return false;
  let startOfSubidentifier = true;
  for (const octet of content) {
    if (startOfSubidentifier && octet === 0x80) return false;
    startOfSubidentifier = (octet & 0x80) === 0;
  }
  return true;
}

/** ECDSA-Sig-Value (RFC 5480 §2.2.3) in DER: two positive, minimally encoded INTEGERs that fit the field. */
function isPlainEcdsaSignature(signature: Uint8Array, fieldOctets: number): boolean {
  const outer = readElement(signature, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== signature.length) return false;
  const integers = readChildren(signature, outer, 2);
  if (integers?.length !== 2) return false;
  for (const integer of integers) {
    const content = contentsOf(signature, integer);
    if (integer.tag !== 0x02 || content.length < 1 || content[0] & 0x80) return false;
    if (content.length > 1 && content[0] === 0 && (content[1] & 0x80) === 0) return false;
    const magnitude = content[0] === 0 ? content.length - 1 : content.length;
    if (magnitude > fieldOctets || magnitude === 0) return false;
  }
  return true;
}
