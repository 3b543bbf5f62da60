import { ChainValidationError, X509ProfileError, type ChainFailureReason } from '#x509-profile';
import { MlsGlueError } from '#mls';
import { defineErrors, DomainError } from './domain-error.js';

/**
 * The spec-mapped libraries know nothing of HTTP; their errors reach callers as these codes.
 * Bytes that are not the structure asked for are invalid input; structures that decode but
 * break the profile, carry a bad signature or use an unsupported suite are unprocessable.
 */
export const LibraryErrors = defineErrors('library', {
  // libs/x509-profile
  x509_malformed: ['invalid_input', 'a certificate, CSR or CRL is not valid DER/PEM of the structure expected'],
  x509_too_large: ['invalid_input', 'a certificate, CSR or chain is larger than the profile accepts'],
  mls_ciphersuite_unsupported: ['unprocessable', 'the MLS cipher suite is not one this service supports'],
  x509_ciphersuite_mismatch: ['unprocessable', "the key's algorithm is not the signature scheme of the requested cipher suite"],
  csr_signature_invalid: ['unprocessable', 'the CSR is not signed by the key it certifies (no proof of possession)'],
  csr_ca_requested: ['unprocessable', 'the CSR asks for CA powers a device certificate never has'],
  x509_profile_parameter: ['unprocessable', 'a value breaks the device certificate profile (names, lifetimes)'],
  x509_crl_invalid: ['unprocessable', 'a CRL does not verify or is not current'],
  // libs/x509-profile chain validation (RFC 5280 §6): the reason the path failed
  malformed: ['unprocessable', 'a certificate of the chain does not parse'],
  untrusted_issuer: ['unprocessable', "the chain does not lead to one of the org's CAs"],
  bad_signature: ['unprocessable', 'a certificate of the chain is not signed by its issuer'],
  expired: ['unprocessable', 'a certificate of the chain has expired'],
  not_yet_valid: ['unprocessable', 'a certificate of the chain is not valid yet'],
  wrong_key_usage: ['unprocessable', 'a certificate of the chain lacks the key usage its place needs'],
  basic_constraints: ['unprocessable', 'a non-CA certificate issued another, or a CA certificate is a leaf'],
  path_length: ['unprocessable', 'the chain is longer than a CA allows'],
  name_constraints: ['unprocessable', "the leaf names an identity outside the intermediate's name constraints"],
  not_profile_conformant: ['unprocessable', 'the leaf is not a device or service certificate of this profile'],
  ciphersuite_mismatch: ['unprocessable', "the leaf's key does not match the cipher suite it is presented for"],
  revoked: ['unprocessable', 'a certificate of the chain is revoked'],
  crl_unavailable: ['unprocessable', 'revocation could not be checked: no current CRL'],
  // libs/mls
  mls_decode: ['invalid_input', 'bytes are not the RFC 9420 structure expected'],
  mls_invalid_argument: ['unprocessable', 'an MLS value is out of range for the operation'],
  mls_unexpected_content: ['unprocessable', 'the MLS message is of another kind than the operation takes'],
  mls_external_sender_not_listed: ['unprocessable', "the group's external_senders extension does not list the service"],
  mls_signature_invalid: ['unprocessable', 'an MLS signature (GroupInfo, KeyPackage, message) does not verify'],
  mls_leaf_not_found: ['unprocessable', 'the ratchet tree has no leaf where the operation needs one'],
});

type LibraryCode = keyof typeof LibraryErrors.specs;

/** Library error codes (ERR_X509_MALFORMED) as response codes (x509_malformed). */
function codeOf(libraryCode: string): string {
  const code = libraryCode.replace(/^ERR_/, '').toLowerCase();
  // One code per condition: both libraries can say a suite is unsupported.
  return code === 'mls_unsupported_ciphersuite' ? 'mls_ciphersuite_unsupported' : code;
}

function known(code: string): code is LibraryCode {
  return Object.hasOwn(LibraryErrors.specs, code);
}

/** A library error as a domain error; undefined for anything else. */
export function fromLibraryError(e: unknown): DomainError | undefined {
  let code: string;
  if (e instanceof ChainValidationError) code = e.reason satisfies ChainFailureReason;
  else if (e instanceof X509ProfileError || e instanceof MlsGlueError) code = codeOf(e.code);
  else return undefined;
  // A code a newer library adds and this list lacks is still a client error, never a 500.
  return known(code) ? LibraryErrors.error(code, e.message) : new DomainError(code, 'unprocessable', e.message);
}
