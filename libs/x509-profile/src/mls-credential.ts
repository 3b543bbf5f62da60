import type { X509Certificate } from '@peculiar/x509';
import { identityOf, type ClientIdentity } from './client-identity.js';
import { requireSingleDerSequence, type DerOrPem } from './der-input.js';
import { CredentialMalformedError, X509ProfileError } from './errors.js';
import { decodeVectorLength, encodeVectorLength } from './mls-varint.js';

/** RFC 9420 §17.5 CredentialType x509. */
export const CREDENTIAL_TYPE_X509 = 0x0002;
/** A device chain is leaf + intermediate (+ root); more is never needed under this profile. */
export const MAX_CREDENTIAL_CERTIFICATES = 4;

/**
 * Encodes RFC 9420 §5.3 `Credential { credential_type = x509; Certificate certificates<V>; }`
 * where `Certificate { opaque cert_data<V>; }` holds one DER certificate, leaf first.
 */
export function encodeX509Credential(chain: readonly Uint8Array[]): Uint8Array {
  if (chain.length === 0 || chain.length > MAX_CREDENTIAL_CERTIFICATES) {
    throw new CredentialMalformedError(`an x509 credential holds 1..${MAX_CREDENTIAL_CERTIFICATES} certificates`);
  }
  const certificates = chain.map((der) => {
    requireCertificateDer(der);
    return concat([encodeVectorLength(der.length), der]);
  });
  const body = concat(certificates);
  return concat([Uint8Array.of(CREDENTIAL_TYPE_X509 >> 8, CREDENTIAL_TYPE_X509 & 0xff), encodeVectorLength(body.length), body]);
}

/**
 * Decodes an x509 Credential strictly: credential type 2, minimal vector lengths, each
 * cert_data exactly one DER SEQUENCE, vectors that end exactly where their length says, and
 * no trailing bytes. Returns the DER certificates, leaf first; validate them with validateChain.
 */
export function decodeX509Credential(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < 2) {
    throw new CredentialMalformedError('credential is shorter than its type');
  }
  const type = (bytes[0] << 8) | bytes[1];
  if (type !== CREDENTIAL_TYPE_X509) {
    throw new CredentialMalformedError(`credential type ${type} is not x509 (2)`);
  }
  const { length, next } = decodeVectorLength(bytes, 2);
  const end = next + length;
  if (end !== bytes.length) {
    throw new CredentialMalformedError('certificates vector does not end at the end of the credential');
  }
  const chain: Uint8Array[] = [];
  let offset = next;
  while (offset < end) {
    const item = decodeVectorLength(bytes, offset);
    const itemEnd = item.next + item.length;
    if (itemEnd > end) {
      throw new CredentialMalformedError('cert_data runs past the certificates vector');
    }
    const der = bytes.slice(item.next, itemEnd);
    requireCertificateDer(der);
    chain.push(der);
    if (chain.length > MAX_CREDENTIAL_CERTIFICATES) {
      throw new CredentialMalformedError(`more than ${MAX_CREDENTIAL_CERTIFICATES} certificates`);
    }
    offset = itemEnd;
  }
  if (chain.length === 0) {
    throw new CredentialMalformedError('an x509 credential needs at least the leaf certificate');
  }
  return chain;
}

function requireCertificateDer(der: Uint8Array): void {
  try {
    requireSingleDerSequence(der);
  } catch (error) {
    throw new CredentialMalformedError(`cert_data is not one DER object: ${(error as Error).message}`, { cause: error });
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The Authentication Service's "do these two credentials represent the same client?" (RFC 9750;
 * RFC 9420 §5.3.1 asks it when an Update or Commit replaces a member's credential): two chains
 * represent the same client when their leaves name the same
 * identity URI, i.e. the same org slug, account id and device id (for a service: the same org
 * and service). Compared exactly, since the URI has one canonical spelling. Not compared: the
 * key, serial, validity, issuer (renewal and CA rotation keep the client) and the email, which
 * an IdP rename may change for the same device.
 * Does not validate: call validateChain on both first; unreadable input returns false.
 */
export function sameClient(
  a: readonly (DerOrPem | X509Certificate)[] | ClientIdentity,
  b: readonly (DerOrPem | X509Certificate)[] | ClientIdentity,
): boolean {
  const left = identityOrUndefined(a);
  const right = identityOrUndefined(b);
  if (!left || !right || left.kind !== right.kind || left.org !== right.org) return false;
  if (left.kind === 'device' && right.kind === 'device') {
    return left.accountId === right.accountId && left.deviceId === right.deviceId;
  }
  return left.kind === 'service' && right.kind === 'service' && left.service === right.service;
}

function identityOrUndefined(value: readonly (DerOrPem | X509Certificate)[] | ClientIdentity): ClientIdentity | undefined {
  if (!Array.isArray(value)) return value as ClientIdentity;
  try {
    return identityOf(value);
  } catch (error) {
    if (error instanceof X509ProfileError) return undefined;
    throw error;
  }
}
