import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { sameBytes } from './bytes.js';
import { decodeDerOrPem, exactArrayBuffer, type DerOrPem } from './der-input.js';
import { MalformedInputError } from './errors.js';

/** Device and CA certificates of this profile are well under 2 KiB; 16 KiB leaves room. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

/** Bounds for the ASN.1 parser on untrusted input (asn1js resource limits). */
export const UNTRUSTED_BER_LIMITS = { berOptions: { maxDepth: 32, maxNodes: 4096 } };

/**
 * Parses an untrusted certificate (PEM or DER) and touches every field the profile reads, so
 * that lazy-parsing failures surface here as MalformedInputError rather than later.
 */
export function parseCertificate(input: DerOrPem | X509Certificate): X509Certificate {
  if (input instanceof X509Certificate) return input;
  const der = decodeDerOrPem(input, ['CERTIFICATE'], MAX_CERTIFICATE_BYTES);
  try {
    const certificate = new X509Certificate(exactArrayBuffer(der), UNTRUSTED_BER_LIMITS);
    void certificate.subjectName.toString();
    void certificate.issuerName.toString();
    void certificate.notBefore;
    void certificate.notAfter;
    void certificate.publicKey.rawData;
    void certificate.extensions;
    void certificate.signatureAlgorithm;
    requireMatchingSignatureAlgorithms(der);
    return certificate;
  } catch (cause) {
    throw new MalformedInputError('certificate is not a valid X.509 structure', { cause });
  }
}

/** RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal the signature field inside tbsCertificate. */
function requireMatchingSignatureAlgorithms(der: Uint8Array): void {
  const asn = AsnConvert.parse(der, Certificate, UNTRUSTED_BER_LIMITS);
  if (!sameBytes(AsnConvert.serialize(asn.tbsCertificate.signature), AsnConvert.serialize(asn.signatureAlgorithm))) {
    throw new MalformedInputError('certificate signatureAlgorithm differs from tbsCertificate.signature');
  }
}

/** The DER bytes of a parsed certificate. */
export function certificateDer(certificate: X509Certificate): Uint8Array {
  return new Uint8Array(certificate.rawData);
}
