import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralNames, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { parseCertificate } from './certificate-input.js';
import type { DerOrPem } from './der-input.js';
import { ChainValidationError, X509ProfileError } from './errors.js';
import { parseIdentityUri, type DeviceIdentity, type ServiceIdentity } from './identity-uri.js';

/** A device as its certificate names it: org/account/device from the SAN URI, email from rfc822Name. */
export interface DeviceClientIdentity extends DeviceIdentity {
  readonly email: string;
}

/** Who holds the leaf key of a chain. */
export type ClientIdentity = DeviceClientIdentity | ServiceIdentity;

/** The subjectAltName entries of a certificate, decoded with the asn1 schema (every GeneralName form). */
export function subjectAltNames(certificate: X509Certificate): GeneralName[] {
  const extension = certificate.getExtension(id_ce_subjectAltName);
  if (!extension) return [];
  try {
    return [...AsnConvert.parse(extension.value, GeneralNames)];
  } catch (cause) {
    throw new ChainValidationError('malformed', 'subjectAltName is not valid DER', { cause });
  }
}

/**
 * Reads the identity from a leaf certificate under the profile: exactly one URI in canonical
 * `mls-identity://` form; a device also has exactly one rfc822Name, a service none; no other
 * name forms. Does not validate the chain: use `validateChain` before trusting the result.
 */
export function identityOfCertificate(certificate: X509Certificate): ClientIdentity {
  const names = subjectAltNames(certificate);
  const uris = names.filter((name) => name.uniformResourceIdentifier !== undefined);
  const emails = names.filter((name) => name.rfc822Name !== undefined);
  if (uris.length + emails.length !== names.length) {
    throw new ChainValidationError('not_profile_conformant', 'subjectAltName has name forms other than URI and rfc822Name');
  }
  if (uris.length !== 1) {
    throw new ChainValidationError('not_profile_conformant', `expected one identity URI, found ${uris.length}`);
  }
  const identity = parseIdentityUri(uris[0].uniformResourceIdentifier!);
  if (!identity) {
    throw new ChainValidationError('not_profile_conformant', 'subjectAltName URI is not an mls-identity URI');
  }
  if (identity.kind === 'service') {
    if (emails.length !== 0) {
      throw new ChainValidationError('not_profile_conformant', 'a service certificate carries no email');
    }
    return identity;
  }
  if (emails.length !== 1) {
    throw new ChainValidationError('not_profile_conformant', `expected one rfc822Name, found ${emails.length}`);
  }
  return { ...identity, email: emails[0].rfc822Name! };
}

/** `identityOf(chain)`: the identity named by the chain's leaf (first) certificate, unvalidated. */
export function identityOf(chain: readonly (DerOrPem | X509Certificate)[]): ClientIdentity {
  if (chain.length === 0) {
    throw new ChainValidationError('malformed', 'empty certificate chain');
  }
  return identityOfCertificate(parseChainCertificate(chain[0]));
}

/** parseCertificate, with failures reported as a chain failure. */
export function parseChainCertificate(input: DerOrPem | X509Certificate): X509Certificate {
  try {
    return parseCertificate(input);
  } catch (error) {
    if (error instanceof X509ProfileError) {
      throw new ChainValidationError('malformed', error.message, { cause: error });
    }
    throw error;
  }
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
 * Takes chains, not credential bytes: decode those with #mls decodeX509Credential.
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
