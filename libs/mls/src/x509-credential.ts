// RFC 9420 §5.3: an x509 Credential carries the certificate chain, leaf first, each entry the
// DER of one certificate; §5.3.1: the leaf's public key must be the member's signature key.
// Certificate validation itself belongs to libs/x509-profile; this module only moves chains
// in and out of the MLS structure.
import type { Credential, CredentialX509 } from 'ts-mls';
import { MlsInvalidArgumentError, MlsUnexpectedContentError } from './errors.js';

export function x509CredentialFromChain(chainLeafFirst: readonly Uint8Array[]): CredentialX509 {
  if (chainLeafFirst.length === 0) {
    throw new MlsInvalidArgumentError('an x509 credential needs at least the leaf certificate');
  }
  for (const [i, der] of chainLeafFirst.entries()) {
    // every DER certificate is a SEQUENCE; anything else is a caller mix-up (PEM, base64…)
    if (der.length < 2 || der[0] !== 0x30) {
      throw new MlsInvalidArgumentError(`certificate ${i} is not DER (does not start with a SEQUENCE)`);
    }
  }
  return { credentialType: 'x509', certificates: chainLeafFirst.map((der) => Uint8Array.from(der)) };
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
