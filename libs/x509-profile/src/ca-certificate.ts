import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509CertificateGenerator,
  type Extension,
} from '@peculiar/x509';
import { describePublicKey, signingAlgorithmFor, type SupportedKeyAlgorithm } from './ciphersuite.js';
import {
  randomSerialNumber,
  requireSignedByIssuer,
  resolveIssuer,
  subjectKeyIdentifierFor,
  subjectName,
  describeIssued,
  wholeSeconds,
  type CertificateIssuer,
  type IssuedCertificate,
} from './certificate-issuer.js';
import { ProfileParameterError } from './errors.js';
import { cryptoFor } from './external-key.js';
import { requireOrgSlug } from './identity-uri.js';
import { orgNameConstraintsExtension } from './name-constraints.js';

/** Key algorithms an org CA may use. */
export const CA_KEY_ALGORITHMS: readonly SupportedKeyAlgorithm[] = ['Ed25519', 'P-256'];

export const DEFAULT_ROOT_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;
export const DEFAULT_INTERMEDIATE_LIFETIME_SECONDS = 2 * 365 * 24 * 3600;

const CA_KEY_USAGE = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;

interface CaParams {
  readonly org: { readonly slug: string; readonly name: string };
  /** Subject CN; defaults name the org slug so that different orgs' CAs never share a DN. */
  readonly commonName?: string;
  readonly lifetimeSeconds?: number;
  readonly now?: Date;
}

export interface RootCaParams extends CaParams {
  /** The root's key pair; the private key may be non-extractable (KeyStore). */
  readonly keys: CryptoKeyPair;
}

export interface IntermediateCaParams extends CaParams {
  /** The intermediate's public key. */
  readonly publicKey: CryptoKey;
  /** The org root CA that signs it. */
  readonly issuer: CertificateIssuer;
  /** URL of the root's CRL, on which this intermediate would be revoked. */
  readonly crlDistributionPoint?: string;
  /** The org's verified email domains: certified rfc822Names are constrained to them (none: unconstrained). */
  readonly permittedEmailDomains?: readonly string[];
}

/**
 * The org root: self-signed, cA=TRUE with pathLenConstraint 1 (root → intermediate → device and
 * nothing deeper), keyCertSign + cRLSign, SKI and an AKI equal to it (allowed by RFC 5280 §4.2.1.1
 * for self-signed certificates, and it helps path builders pick among rotated roots).
 */
export async function createRootCa(params: RootCaParams): Promise<IssuedCertificate> {
  requireOrgSlug(params.org.slug);
  await requireCaKey(params.keys.publicKey);
  const { notBefore, notAfter } = caValidity(params, DEFAULT_ROOT_LIFETIME_SECONDS);
  const ski = await subjectKeyIdentifierFor(params.keys.publicKey);
  const extensions: Extension[] = [
    new BasicConstraintsExtension(true, 1, true),
    new KeyUsagesExtension(CA_KEY_USAGE, true),
    ski,
    new AuthorityKeyIdentifierExtension(ski.keyId, false),
  ];
  const name = subjectName(params.commonName ?? `MLS Root CA ${params.org.slug}`, params.org.name);
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: name,
      issuer: name,
      notBefore,
      notAfter,
      publicKey: params.keys.publicKey,
      signingKey: params.keys.privateKey,
      signingAlgorithm: signingAlgorithmFor(params.keys.privateKey),
      extensions,
    },
    cryptoFor(params.keys.privateKey),
  );
  await requireSignedByIssuer(certificate, certificate);
  return describeIssued(certificate);
}

/**
 * The org intermediate: cA=TRUE with pathLenConstraint 0 (it signs device certificates only),
 * keyCertSign + cRLSign, and critical name constraints permitting only the org's URI host (and,
 * when the org verified email domains, only mailboxes in them).
 */
export async function createIntermediateCa(params: IntermediateCaParams): Promise<IssuedCertificate> {
  requireOrgSlug(params.org.slug);
  await requireCaKey(params.publicKey);
  const issuer = resolveIssuer(params.issuer, KeyUsageFlags.keyCertSign);
  const { notBefore, notAfter } = caValidity(params, DEFAULT_INTERMEDIATE_LIFETIME_SECONDS);
  if (notBefore < issuer.certificate.notBefore) {
    throw new ProfileParameterError('root CA is not yet valid');
  }
  const extensions: Extension[] = [
    new BasicConstraintsExtension(true, 0, true),
    new KeyUsagesExtension(CA_KEY_USAGE, true),
    await subjectKeyIdentifierFor(params.publicKey),
    issuer.authorityKeyIdentifier,
    orgNameConstraintsExtension(params.org.slug, params.permittedEmailDomains),
  ];
  if (params.crlDistributionPoint) {
    extensions.push(new CRLDistributionPointsExtension([params.crlDistributionPoint], false));
  }
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: subjectName(params.commonName ?? `MLS Intermediate CA ${params.org.slug}`, params.org.name),
      issuer: issuer.name,
      notBefore,
      // An intermediate never outlives its root.
      notAfter: notAfter > issuer.certificate.notAfter ? issuer.certificate.notAfter : notAfter,
      publicKey: params.publicKey,
      signingKey: issuer.privateKey,
      signingAlgorithm: issuer.signingAlgorithm,
      extensions,
    },
    cryptoFor(issuer.privateKey),
  );
  await requireSignedByIssuer(certificate, issuer.certificate);
  return describeIssued(certificate);
}

async function requireCaKey(publicKey: CryptoKey): Promise<void> {
  const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', publicKey));
  const { algorithm } = describePublicKey(spki);
  if (!(CA_KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new ProfileParameterError(`CA keys must be ${CA_KEY_ALGORITHMS.join(' or ')}, not ${algorithm}`);
  }
}

function caValidity(params: CaParams, defaultLifetime: number): { notBefore: Date; notAfter: Date } {
  const lifetime = params.lifetimeSeconds ?? defaultLifetime;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new ProfileParameterError('CA lifetime must be a positive number of seconds');
  }
  const notBefore = wholeSeconds(params.now ?? new Date());
  return { notBefore, notAfter: new Date(notBefore.getTime() + lifetime * 1000) };
}
