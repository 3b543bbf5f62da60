import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  type BasicConstraintsExtension,
  type KeyUsageFlags,
  type KeyUsagesExtension,
  Name,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from '@peculiar/x509';
import { signingAlgorithmFor } from './ciphersuite.js';
import { parseCertificate } from './certificate-input.js';
import { toHex } from './bytes.js';
import { encodePem, exactArrayBuffer, type DerOrPem } from './der-input.js';
import { ProfileParameterError } from './errors.js';

/** A CA as the authority hands it to this library: its certificate and its KeyStore key. */
export interface CertificateIssuer {
  readonly certificate: DerOrPem | X509Certificate;
  /** May be non-extractable; it is only passed to WebCrypto `sign`. */
  readonly privateKey: CryptoKey;
}

/** An issuer checked for use as a certificate and CRL signer. */
export interface ResolvedIssuer {
  readonly certificate: X509Certificate;
  readonly privateKey: CryptoKey;
  readonly name: Name;
  readonly signingAlgorithm: Algorithm | EcdsaParams;
  /** RFC 5280 §4.2.1.1: the issuer's own subject key identifier, copied, never recomputed. */
  readonly authorityKeyIdentifier: AuthorityKeyIdentifierExtension;
}

const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

/** Requires a CA certificate whose key usage allows `usage`, and derives the signing parameters. */
export function resolveIssuer(issuer: CertificateIssuer, usage: KeyUsageFlags): ResolvedIssuer {
  const certificate = parseCertificate(issuer.certificate);
  const basicConstraints = certificate.getExtension<BasicConstraintsExtension>(OID_BASIC_CONSTRAINTS);
  const keyUsage = certificate.getExtension<KeyUsagesExtension>(OID_KEY_USAGE);
  const ski = certificate.getExtension<SubjectKeyIdentifierExtension>(OID_SUBJECT_KEY_IDENTIFIER);
  if (!basicConstraints?.ca) {
    throw new ProfileParameterError('issuer certificate is not a CA');
  }
  if (!keyUsage || (keyUsage.usages & usage) !== usage) {
    throw new ProfileParameterError('issuer certificate key usage does not allow this signature');
  }
  if (!ski) {
    throw new ProfileParameterError('issuer certificate has no subject key identifier');
  }
  return {
    certificate,
    privateKey: issuer.privateKey,
    name: certificate.subjectName,
    signingAlgorithm: signingAlgorithmFor(issuer.privateKey),
    authorityKeyIdentifier: new AuthorityKeyIdentifierExtension(ski.keyId, false),
  };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
export function subjectKeyIdentifierFor(spki: Uint8Array | CryptoKey): Promise<SubjectKeyIdentifierExtension> {
  return SubjectKeyIdentifierExtension.create(spki instanceof Uint8Array ? exactArrayBuffer(spki) : spki, false, globalThis.crypto);
}

/**
 * A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets) from the CSPRNG. The top bit
 * is cleared so the INTEGER needs no sign octet, and the next one is set so DER never drops a
 * leading zero octet: every serial is exactly 16 octets, with 126 random bits.
 */
export function randomSerialNumber(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return toHex(bytes);
}

/** X.509 times have whole seconds; truncating first makes the returned dates the encoded ones. */
export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** ub-common-name and ub-organization-name (RFC 5280 Appendix A.1) are 64 characters. */
export const MAX_NAME_ATTRIBUTE_LENGTH = 64;

/** Shortens a human name to the ASN.1 upper bound without splitting a surrogate pair. */
export function boundedNameAttribute(value: string, what: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) {
    throw new ProfileParameterError(`${what} must not be empty`);
  }
  // A lone surrogate has no UTF-8 form: the reference encoder threw a URIError on it.
  if (/\p{Cs}/u.test(trimmed)) {
    throw new ProfileParameterError(`${what} is not well-formed Unicode`);
  }
  return Array.from(trimmed).slice(0, MAX_NAME_ATTRIBUTE_LENGTH).join('');
}

/** Subject O then CN, both UTF8String as RFC 5280 §4.1.2.6 requires of new certificates. */
export function subjectName(commonName: string, organizationName: string): Name {
  return new Name([
    { O: [{ utf8String: boundedNameAttribute(organizationName, 'organization name') }] },
    { CN: [{ utf8String: boundedNameAttribute(commonName, 'common name') }] },
  ]);
}

/** Issuer keys already shown to match their certificate: the check costs a full verification. */
const provenIssuerKeys = new WeakMap<CryptoKey, WeakSet<X509Certificate>>();

/**
 * Checks that a freshly made certificate verifies with the issuer certificate's key: catches a
 * KeyStore key that belongs to another CA. Once a (key, issuer certificate) pair has passed,
 * later certificates signed by the same key under the same certificate need no new check.
 */
export async function requireSignedByIssuer(certificate: X509Certificate, issuer: X509Certificate, signingKey?: CryptoKey): Promise<void> {
  if (signingKey && provenIssuerKeys.get(signingKey)?.has(issuer)) return;
  const ok = await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true }, globalThis.crypto);
  if (!ok) {
    throw new ProfileParameterError('issuer private key does not match the issuer certificate');
  }
  if (signingKey) {
    const proven = provenIssuerKeys.get(signingKey) ?? new WeakSet<X509Certificate>();
    proven.add(issuer);
    provenIssuerKeys.set(signingKey, proven);
  }
}

/** An issued certificate with the facts the authority stores beside it. */
export interface IssuedCertificate {
  readonly der: Uint8Array<ArrayBuffer>;
  readonly pem: string;
  /** Lowercase hex, as in CRL entries. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER certificate: the fingerprint the status API is keyed by. */
  readonly sha256: Uint8Array<ArrayBuffer>;
}

export async function describeIssued(certificate: X509Certificate): Promise<IssuedCertificate> {
  const der = new Uint8Array(certificate.rawData);
  return {
    der,
    pem: encodePem(der, 'CERTIFICATE'),
    serialNumber: certificate.serialNumber.toLowerCase(),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    sha256: new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', der)),
  };
}
