// What the service hands an enrolled or renewed device: its chain, the RFC 9420 x509
// Credential, validity and the renewal hint. Parsed strictly: a wrong answer is
// ResponseMalformed, never a half-filled object.
import type { Credential } from 'ts-mls';
import type { IssuedCertificateView } from '#protocol';
import { decodeBase64 } from './base64.js';
import type { DeviceKeys } from './device-keys.js';
import { ResponseMalformed } from './errors.js';

export interface DeviceCertificate {
  readonly deviceId: string;
  readonly certificateId: string;
  readonly serial: string;
  /** Hex SHA-256 of the leaf DER: the certificate's name in the status API and the KT log. */
  readonly sha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The service's hint: renew from here on (two thirds into the lifetime). */
  readonly renewAfter: Date;
  /** DER certificates, leaf first, then the org intermediate. */
  readonly chainDer: readonly Uint8Array[];
  readonly chainPem: string;
  /** RFC 9420 §5.3 Credential (x509) bytes. */
  readonly credential: Uint8Array;
  /** The key-transparency receipt as the service sent it (index once sequenced, or a lookup path). */
  readonly transparency?: unknown;
}

/** An enrolled device: its keys and current certificate. Renewal replaces `certificate` (and `keys` on rotation). */
export interface EnrolledDevice {
  readonly org: string;
  readonly accountId: string;
  readonly deviceId: string;
  keys: DeviceKeys;
  certificate: DeviceCertificate;
}

/** A wire object before checking: its fields are named by the #protocol type, their values unknown. */
type Untrusted<W> = { readonly [K in keyof W]?: unknown };

function field<T, W>(o: Untrusted<W>, name: keyof W & string, type: 'string' | 'object'): T {
  const v = o[name];
  if (typeof v !== type || v === null) throw new ResponseMalformed(`the issued certificate answer has no ${name}`);
  return v as T;
}

function date<W>(o: Untrusted<W>, name: keyof W & string): Date {
  const d = new Date(field<string, W>(o, name, 'string'));
  if (Number.isNaN(d.getTime())) throw new ResponseMalformed(`${name} is not a date`);
  return d;
}

/** Reads the issued-chain view of `POST /v1/orgs/{org}/enrollments`, the enrollment status and renewal. */
export function parseIssuedCertificate(answer: unknown): DeviceCertificate {
  if (typeof answer !== 'object' || answer === null) throw new ResponseMalformed('the issued certificate answer is not an object');
  const o = answer as Untrusted<IssuedCertificateView> & { transparency?: unknown };
  const cert = field<Untrusted<IssuedCertificateView['certificate']>, IssuedCertificateView>(o, 'certificate', 'object');
  const chain = o.chainDer;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > 4 || chain.some((c) => typeof c !== 'string')) {
    throw new ResponseMalformed('chainDer must list the certificates as base64');
  }
  const sha256 = field<string, IssuedCertificateView['certificate']>(cert, 'sha256', 'string');
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ResponseMalformed('certificate.sha256 is not a hex SHA-256');
  return {
    deviceId: field<string, IssuedCertificateView>(o, 'deviceId', 'string'),
    certificateId: field<string, IssuedCertificateView['certificate']>(cert, 'id', 'string'),
    serial: field<string, IssuedCertificateView['certificate']>(cert, 'serial', 'string'),
    sha256,
    notBefore: date(cert, 'notBefore'),
    notAfter: date(cert, 'notAfter'),
    renewAfter: date(o, 'renewAfter'),
    chainDer: (chain as string[]).map((c, i) => decodeBase64(c, `chainDer[${i}]`)),
    chainPem: field<string, IssuedCertificateView>(o, 'chainPem', 'string'),
    credential: decodeBase64(field<string, IssuedCertificateView>(o, 'credential', 'string'), 'credential'),
    ...(o.transparency !== undefined && { transparency: o.transparency }),
  };
}

/** The device's credential as a ts-mls `Credential` (x509, leaf first), for KeyPackages and LeafNodes. */
export function mlsCredentialOf(device: Pick<EnrolledDevice, 'certificate'>): Credential {
  return { credentialType: 'x509', certificates: device.certificate.chainDer.map((c) => new Uint8Array(c)) } as Credential;
}
