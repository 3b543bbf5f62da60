/**
 * Typed errors with stable codes. Callers map `code` (or `reason` for chain and CRL
 * failures) to HTTP problems in one place; untrusted input never yields anything else.
 */
export abstract class X509ProfileError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input is not well-formed PEM, DER or ASN.1 of the expected type. */
export class MalformedInputError extends X509ProfileError {
  readonly code = 'ERR_X509_MALFORMED';
}

/** Input exceeds a size limit before any parsing was attempted. */
export class InputTooLargeError extends X509ProfileError {
  readonly code = 'ERR_X509_TOO_LARGE';
}

/** The MLS cipher suite is unknown or its signature scheme is not offered by this profile. */
export class UnsupportedCiphersuiteError extends X509ProfileError {
  readonly code = 'ERR_MLS_CIPHERSUITE_UNSUPPORTED';
}

/** A public key does not have the algorithm (and curve) the cipher suite requires. */
export class CiphersuiteMismatchError extends X509ProfileError {
  readonly code = 'ERR_X509_CIPHERSUITE_MISMATCH';
}

/** The CSR's self-signature does not verify with the CSR's own key: no proof of possession. */
export class CsrSignatureInvalidError extends X509ProfileError {
  readonly code = 'ERR_CSR_SIGNATURE_INVALID';
}

/** The CSR asks for a CA certificate (basicConstraints cA=TRUE). */
export class CsrCaRequestedError extends X509ProfileError {
  readonly code = 'ERR_CSR_CA_REQUESTED';
}

/** A caller-supplied issuance parameter violates the profile (bad slug, lifetime, name...). */
export class ProfileParameterError extends X509ProfileError {
  readonly code = 'ERR_X509_PROFILE_PARAMETER';
}

/** Why a certificate chain was rejected; one value per distinct failure. */
export type ChainFailureReason =
  | 'malformed'
  | 'untrusted_issuer'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_key_usage'
  | 'basic_constraints'
  | 'path_length'
  | 'name_constraints'
  | 'not_profile_conformant'
  | 'ciphersuite_mismatch'
  | 'revoked'
  | 'crl_unavailable';

/** For `revoked`: which certificate of the path, and the CRL entry that revoked it. */
export interface ChainRevocation {
  readonly certificate: 'leaf' | 'intermediate';
  readonly serialNumber: string;
  readonly revocationDate: Date;
  /** RFC 5280 §5.3.1 reason name. */
  readonly reason: string;
}

/** A certificate chain failed RFC 5280 §6 path validation or the device profile. */
export class ChainValidationError extends X509ProfileError {
  readonly code = 'ERR_X509_CHAIN_INVALID';
  readonly revocation?: ChainRevocation;

  constructor(
    readonly reason: ChainFailureReason,
    message: string,
    options?: { cause?: unknown; revocation?: ChainRevocation },
  ) {
    super(message, options);
    this.revocation = options?.revocation;
  }
}

/** Why a CRL was rejected. */
export type CrlFailureReason = 'malformed' | 'issuer_mismatch' | 'bad_signature' | 'stale' | 'not_yet_valid';

/** A CRL could not be trusted for revocation checking. */
export class CrlValidationError extends X509ProfileError {
  readonly code = 'ERR_X509_CRL_INVALID';

  constructor(
    readonly reason: CrlFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
