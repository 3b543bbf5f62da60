import { exactArrayBuffer } from './der-input.js';
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
  type JsonGeneralNames,
  type X509Certificate,
} from '@peculiar/x509';
import { requireKeyMatchesCiphersuite } from './ciphersuite.js';
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
import { deviceIdentityUri, serviceIdentityUri, type ServiceName } from './identity-uri.js';
import { requireNamesPermittedByIssuer } from './name-constraints.js';

export const DEFAULT_DEVICE_LIFETIME_SECONDS = 7 * 24 * 3600;
export const MAX_DEVICE_LIFETIME_SECONDS = 30 * 24 * 3600;
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Inputs common to device and service certificates. */
export interface EndEntityParams {
  /** The org; `slug` becomes the SAN URI host, `name` the subject O. */
  readonly org: { readonly slug: string; readonly name: string };
  /** RFC 9420 §17.1 cipher suite; the key must be its signature key type. */
  readonly ciphersuite: number;
  /** DER SubjectPublicKeyInfo, normally `CheckedCsr.subjectPublicKeyInfo`. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** The org intermediate CA. */
  readonly issuer: CertificateIssuer;
  /** URL of the issuer's CRL (RFC 5280 §4.2.1.13). */
  readonly crlDistributionPoint: string;
  /** Default 7 days, at most 30. */
  readonly lifetimeSeconds?: number;
  /** notBefore is back-dated by this much (default and maximum 300 s) so skewed clocks accept a new certificate. */
  readonly clockSkewSeconds?: number;
  readonly now?: Date;
}

export interface DeviceCertificateParams extends EndEntityParams {
  readonly account: { readonly id: string; readonly displayName: string; readonly email: string };
  readonly device: { readonly id: string };
}

export interface ServiceCertificateParams extends EndEntityParams {
  readonly service: ServiceName;
  /** Subject CN; default "MLS {service} service". */
  readonly commonName?: string;
}

/** Issues a device certificate: the device's MLS signature key bound to its org/account/device identity. */
export async function issueDeviceCertificate(params: DeviceCertificateParams): Promise<IssuedCertificate> {
  const uri = deviceIdentityUri(params.org.slug, params.account.id, params.device.id);
  const email = requireRfc822Mailbox(params.account.email);
  return issueEndEntity(params, params.account.displayName, [
    { type: 'url', value: uri },
    { type: 'email', value: email },
  ]);
}

/**
 * Issues the certificate of an org service, such as the removal service that signs external
 * Remove proposals (RFC 9420 §12.1.8.1 external sender credential). Same profile, service URI.
 */
export async function issueServiceCertificate(params: ServiceCertificateParams): Promise<IssuedCertificate> {
  const uri = serviceIdentityUri(params.org.slug, params.service);
  return issueEndEntity(params, params.commonName ?? `MLS ${params.service} service`, [{ type: 'url', value: uri }]);
}

async function issueEndEntity(params: EndEntityParams, commonName: string, names: JsonGeneralNames): Promise<IssuedCertificate> {
  requireKeyMatchesCiphersuite(params.subjectPublicKeyInfo, params.ciphersuite);
  const issuer = resolveIssuer(params.issuer, KeyUsageFlags.keyCertSign);
  const email = names.find((n) => n.type === 'email')?.value;
  requireNamesPermittedByIssuer({ uri: names[0].value, email }, issuer.certificate);
  const { notBefore, notAfter } = endEntityValidity(params, issuer.certificate);
  const crlDistributionPoint = requireHttpUrl(params.crlDistributionPoint);

  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    issuer.authorityKeyIdentifier,
    await subjectKeyIdentifierFor(params.subjectPublicKeyInfo),
    new SubjectAlternativeNameExtension(names, false),
    new CRLDistributionPointsExtension([crlDistributionPoint], false),
  ];
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: subjectName(commonName, params.org.name),
      issuer: issuer.name,
      notBefore,
      notAfter,
      publicKey: exactArrayBuffer(params.subjectPublicKeyInfo),
      signingKey: issuer.privateKey,
      signingAlgorithm: issuer.signingAlgorithm,
      extensions,
    },
    cryptoFor(issuer.privateKey),
  );
  await requireSignedByIssuer(certificate, issuer.certificate, issuer.privateKey);
  return describeIssued(certificate);
}

/**
 * notBefore = now − skew; notAfter = now + lifetime, but never after the issuer's own notAfter
 * (a certificate that outlives its CA would fail validation before its stated end).
 */
export function endEntityValidity(
  params: Pick<EndEntityParams, 'lifetimeSeconds' | 'clockSkewSeconds' | 'now'>,
  issuer: X509Certificate,
): { notBefore: Date; notAfter: Date } {
  const lifetime = params.lifetimeSeconds ?? DEFAULT_DEVICE_LIFETIME_SECONDS;
  const skew = params.clockSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > MAX_DEVICE_LIFETIME_SECONDS) {
    throw new ProfileParameterError(`lifetime must be 1..${MAX_DEVICE_LIFETIME_SECONDS} seconds`);
  }
  if (!Number.isInteger(skew) || skew < 0 || skew > MAX_CLOCK_SKEW_SECONDS) {
    throw new ProfileParameterError(`clock skew allowance must be 0..${MAX_CLOCK_SKEW_SECONDS} seconds`);
  }
  const now = wholeSeconds(params.now ?? new Date());
  if (now < issuer.notBefore || now > issuer.notAfter) {
    throw new ProfileParameterError('issuer certificate is not valid now');
  }
  const notBefore = new Date(Math.max(now.getTime() - skew * 1000, issuer.notBefore.getTime()));
  const notAfter = new Date(Math.min(now.getTime() + lifetime * 1000, issuer.notAfter.getTime()));
  return { notBefore, notAfter };
}

/** rfc822Name is an IA5String addr-spec (RFC 5280 §4.2.1.6): ASCII local@domain, no display name. */
const MAILBOX =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function requireRfc822Mailbox(email: string): string {
  if (email.length > 254 || !MAILBOX.test(email)) {
    throw new ProfileParameterError(`"${email}" is not an ASCII email address usable as rfc822Name`);
  }
  return email;
}

export function requireHttpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProfileParameterError(`CRL distribution point "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProfileParameterError('CRL distribution point must be an http(s) URL');
  }
  // A uniformResourceIdentifier is an IA5String: other characters would be written mangled.
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new ProfileParameterError('CRL distribution point must be written in printable ASCII (percent-encode the rest)');
  }
  return value;
}
