// The fields of an RFC 5280 certificate that the end-entity template writes, one function per
// section, each returning its DER. Only the shapes this profile issues are covered; the
// @peculiar/x509 generator remains the reference (tests compare the two byte for byte).
import { sha1 } from '@noble/hashes/legacy';
import {
  bitString,
  contextConstructed,
  contextPrimitive,
  DER_TRUE,
  objectIdentifier,
  octetString,
  sequence,
  set,
  tlv,
  unsignedInteger,
  utf8String,
} from './der-writer.js';

const latin = new TextEncoder();

/** §4.1.2.1: version v3 (INTEGER 2) in its [0] EXPLICIT wrapper. */
export const VERSION_V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

/** §4.1.2.2: a positive INTEGER of the serial's magnitude octets. */
export function serialNumberField(magnitude: Uint8Array): Uint8Array<ArrayBuffer> {
  return unsignedInteger(magnitude);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function timeField(date: Date): Uint8Array<ArrayBuffer> {
  const year = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return year <= 2049 ? tlv(0x17, latin.encode(`${pad(year % 100)}${rest}`)) : tlv(0x18, latin.encode(`${pad(year, 4)}${rest}`));
}

/** §4.1.2.5 Validity. */
export function validityField(notBefore: Date, notAfter: Date): Uint8Array<ArrayBuffer> {
  return sequence(timeField(notBefore), timeField(notAfter));
}

const OID_ORGANIZATION = objectIdentifier('2.5.4.10');
const OID_COMMON_NAME = objectIdentifier('2.5.4.3');

/** §4.1.2.6: subject O then CN, one attribute per RDN, UTF8String. */
export function organizationAndCommonName(organization: string, commonName: string): Uint8Array<ArrayBuffer> {
  return sequence(set(sequence(OID_ORGANIZATION, utf8String(organization))), set(sequence(OID_COMMON_NAME, utf8String(commonName))));
}

/** §4.1.2.9 / §4.1: Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }. */
export function extension(oid: Uint8Array, critical: boolean, value: Uint8Array): Uint8Array<ArrayBuffer> {
  return critical ? sequence(oid, DER_TRUE, octetString(value)) : sequence(oid, octetString(value));
}

/** §4.2.1.9: basicConstraints, critical, cA FALSE (the DEFAULT, so an empty SEQUENCE). */
export const BASIC_CONSTRAINTS_END_ENTITY = extension(objectIdentifier('2.5.29.19'), true, sequence());

/** §4.2.1.3: keyUsage, critical, digitalSignature only (bit 0; seven unused bits). */
export const KEY_USAGE_DIGITAL_SIGNATURE = extension(objectIdentifier('2.5.29.15'), true, Uint8Array.of(0x03, 0x02, 0x07, 0x80));

const OID_SUBJECT_KEY_IDENTIFIER = objectIdentifier('2.5.29.14');
const OID_SUBJECT_ALT_NAME = objectIdentifier('2.5.29.17');
const OID_CRL_DISTRIBUTION_POINTS = objectIdentifier('2.5.29.31');

/** §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function subjectKeyIdentifierExtension(subjectPublicKeyBits: Uint8Array): Uint8Array<ArrayBuffer> {
  return extension(OID_SUBJECT_KEY_IDENTIFIER, false, octetString(sha1(subjectPublicKeyBits)));
}

/** §4.2.1.6: subjectAltName, non-critical: the identity URI [6], then the rfc822Name [1] if any. */
export function subjectAltNameExtension(uri: string, email?: string): Uint8Array<ArrayBuffer> {
  const names = [contextPrimitive(6, latin.encode(uri))];
  if (email !== undefined) names.push(contextPrimitive(1, latin.encode(email)));
  return extension(OID_SUBJECT_ALT_NAME, false, sequence(...names));
}

/** §4.2.1.13: one DistributionPoint whose fullName is one URI. */
export function crlDistributionPointsExtension(url: string): Uint8Array<ArrayBuffer> {
  const fullName = contextConstructed(0, contextConstructed(0, contextPrimitive(6, latin.encode(url))));
  return extension(OID_CRL_DISTRIBUTION_POINTS, false, sequence(sequence(fullName)));
}

/** §4.1.2: TBSCertificate with its extensions in [3] EXPLICIT. */
export function tbsCertificate(fields: {
  serialNumber: Uint8Array;
  signature: Uint8Array;
  issuer: Uint8Array;
  validity: Uint8Array;
  subject: Uint8Array;
  subjectPublicKeyInfo: Uint8Array;
  extensions: readonly Uint8Array[];
}): Uint8Array<ArrayBuffer> {
  return sequence(
    VERSION_V3,
    fields.serialNumber,
    fields.signature,
    fields.issuer,
    fields.validity,
    fields.subject,
    fields.subjectPublicKeyInfo,
    contextConstructed(3, sequence(...fields.extensions)),
  );
}

/** §4.1.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }. */
export function certificateField(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signatureValue: Uint8Array): Uint8Array<ArrayBuffer> {
  return sequence(tbs, signatureAlgorithm, bitString(signatureValue));
}

/** §4.1.1.2 AlgorithmIdentifiers of the issuer signatures this profile makes (no parameters: RFC 8410 §3, RFC 5758 §3.2). */
export const SIGNATURE_ALGORITHM = {
  Ed25519: sequence(objectIdentifier('1.3.101.112')),
  'ECDSA-SHA256': sequence(objectIdentifier('1.2.840.10045.4.3.2')),
  'ECDSA-SHA384': sequence(objectIdentifier('1.2.840.10045.4.3.3')),
} as const;

export type IssuerSignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHM;
