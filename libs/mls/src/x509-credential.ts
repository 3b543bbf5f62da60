// RFC 9420 §5.3: an x509 Credential carries the certificate chain, leaf first, each entry the
// DER of one certificate; §5.3.1: the leaf's public key must be the member's signature key.
// This is the one codec of that structure for the service, the CLI and the SDK. Certificate
// validation itself belongs to libs/x509-profile (which depends on this lib, never the
// reverse); this module only moves chains in and out of the MLS structure.
import type { Credential, CredentialX509 } from 'ts-mls';
import { CREDENTIAL_TYPE, encodeCredential } from './credential.js';
import { MlsDecodeError, MlsInvalidArgumentError, MlsUnexpectedContentError } from './errors.js';
import { PresentationReader } from './presentation-language.js';

/** A device chain is leaf + intermediate (+ root); more is never needed under this profile. */
export const MAX_CREDENTIAL_CERTIFICATES = 4;

export function x509CredentialFromChain(chainLeafFirst: readonly Uint8Array[]): CredentialX509 {
  if (chainLeafFirst.length === 0 || chainLeafFirst.length > MAX_CREDENTIAL_CERTIFICATES) {
    throw new MlsInvalidArgumentError(`an x509 credential holds 1..${MAX_CREDENTIAL_CERTIFICATES} certificates`);
  }
  for (const [i, der] of chainLeafFirst.entries()) {
    // a caller mix-up (PEM, base64…) must not become credential bytes others then refuse
    const problem = derSequenceProblem(der);
    if (problem) throw new MlsInvalidArgumentError(`certificate ${i} is not DER: ${problem}`);
  }
  return { credentialType: 'x509', certificates: chainLeafFirst.map((der) => Uint8Array.from(der)) };
}

/** `Credential { credential_type = x509; Certificate certificates<V>; }` for a DER chain, leaf first. */
export function encodeX509Credential(chainLeafFirst: readonly Uint8Array[]): Uint8Array {
  return encodeCredential(x509CredentialFromChain(chainLeafFirst));
}

/**
 * Decodes an x509 Credential strictly: credential type 2, minimal vector lengths, each
 * cert_data exactly one DER SEQUENCE, vectors that end exactly where their length says, and
 * no trailing bytes. Returns the DER certificates, leaf first; validate them with
 * x509-profile's validateChain. Throws only MlsDecodeError.
 */
export function decodeX509Credential(bytes: Uint8Array): Uint8Array[] {
  const r = new PresentationReader(bytes, 'Credential');
  const type = r.uint16();
  if (type !== CREDENTIAL_TYPE.x509) r.fail(`credential type ${type} is not x509 (2)`);
  const certificates = new PresentationReader(r.vector(), 'Credential');
  r.end();
  const chain: Uint8Array[] = [];
  while (certificates.remaining > 0) {
    // checked per item so that a credential of many tiny entries stops early
    if (chain.length === MAX_CREDENTIAL_CERTIFICATES) certificates.fail(`more than ${MAX_CREDENTIAL_CERTIFICATES} certificates`);
    const der = certificates.vector();
    const problem = derSequenceProblem(der);
    if (problem) certificates.fail(`cert_data is not one DER object: ${problem}`);
    chain.push(der);
  }
  if (chain.length === 0) throw new MlsDecodeError('Credential', 'an x509 credential needs at least the leaf certificate');
  return chain;
}

/** The chain, leaf first, of an x509 credential; a basic credential is refused with a typed error. */
export function certificateChainOf(credential: Credential): Uint8Array[] {
  if (credential.credentialType !== 'x509') {
    throw new MlsUnexpectedContentError(`credential is ${credential.credentialType}, not x509`);
  }
  if (credential.certificates.length === 0) {
    throw new MlsUnexpectedContentError('x509 credential carries no certificate');
  }
  return credential.certificates.map((der) => Uint8Array.from(der));
}

/** The leaf certificate's DER, whose key must equal the leaf's MLS signature key (§5.3.1). */
export function leafCertificateOf(credential: Credential): Uint8Array {
  return certificateChainOf(credential)[0]!;
}

/**
 * Why `der` is not exactly one DER SEQUENCE (X.690 §8.1.3: definite form, minimal length
 * octets), or undefined when it is. Only the outer framing: what is inside is x509-profile's
 * to parse, but a cert_data that is not even one object is malformed MLS, refused here.
 */
function derSequenceProblem(der: Uint8Array): string | undefined {
  if (der.length < 2 || der[0] !== 0x30) return 'does not start with a SEQUENCE';
  const first = der[1]!;
  let length = first;
  let header = 2;
  if (first >= 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 4 || der.length < 2 + octets) return 'length is indefinite or out of range';
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[2 + i]!;
    if (der[2] === 0 || length < 0x80) return 'length is not minimally encoded';
    header = 2 + octets;
  }
  return header + length === der.length ? undefined : 'truncated or followed by trailing bytes';
}
