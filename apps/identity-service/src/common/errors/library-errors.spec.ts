import * as mls from '#mls';
import * as x509 from '#x509-profile';
import { DomainError } from './domain-error.js';
import { KIND_STATUS } from './http-mapping.js';
import { fromLibraryError, LibraryErrors } from './library-errors.js';

/** Every error the libraries can throw, built as they build it. */
const thrown: [string, Error][] = [
  ['x509_malformed', new x509.MalformedInputError('not DER')],
  ['x509_too_large', new x509.InputTooLargeError('too big')],
  ['mls_ciphersuite_unsupported', new x509.UnsupportedCiphersuiteError('suite 99')],
  ['x509_ciphersuite_mismatch', new x509.CiphersuiteMismatchError('P-256 key for Ed25519 suite')],
  ['csr_signature_invalid', new x509.CsrSignatureInvalidError('no PoP')],
  ['csr_ca_requested', new x509.CsrCaRequestedError('cA=true')],
  ['x509_profile_parameter', new x509.ProfileParameterError('lifetime')],
  ['x509_crl_invalid', new x509.CrlValidationError('stale', 'old CRL')],
  ['mls_decode', new mls.MlsDecodeError('MLSMessage', 'truncated')],
  ['mls_invalid_argument', new mls.MlsInvalidArgumentError('leaf 9')],
  ['mls_unexpected_content', new mls.MlsUnexpectedContentError('a Welcome')],
  ['mls_ciphersuite_unsupported', new mls.MlsUnsupportedCiphersuiteError('suite 99')],
  ['mls_external_sender_not_listed', new mls.MlsExternalSenderNotListedError('not listed')],
  ['mls_signature_invalid', new mls.MlsSignatureInvalidError('bad signature')],
  ['mls_leaf_not_found', new mls.MlsLeafNotFoundError('no leaf')],
];
const chainReasons: x509.ChainFailureReason[] = [
  'malformed',
  'untrusted_issuer',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'wrong_key_usage',
  'basic_constraints',
  'path_length',
  'name_constraints',
  'not_profile_conformant',
  'ciphersuite_mismatch',
  'revoked',
  'crl_unavailable',
];

describe('library errors as domain errors', () => {
  it.each(thrown)('%s', (code, error) => {
    const domain = fromLibraryError(error)!;
    expect(domain).toBeInstanceOf(DomainError);
    expect([domain.code, domain.message]).toEqual([code, error.message]);
    expect(domain.kind).toBe(LibraryErrors.specs[code as keyof typeof LibraryErrors.specs][0]);
  });

  it.each(chainReasons)('chain validation: %s', (reason) => {
    const domain = fromLibraryError(new x509.ChainValidationError(reason, `chain ${reason}`))!;
    expect([domain.code, KIND_STATUS[domain.kind]]).toEqual([reason, 422]);
  });

  it('answers malformed bytes with 400 and well-formed but wrong input with 422', () => {
    expect(KIND_STATUS[fromLibraryError(new x509.MalformedInputError('x'))!.kind]).toBe(400);
    expect(KIND_STATUS[fromLibraryError(new mls.MlsDecodeError('KeyPackage', 'x'))!.kind]).toBe(400);
    expect(KIND_STATUS[fromLibraryError(new mls.MlsSignatureInvalidError('x'))!.kind]).toBe(422);
  });

  it('declares exactly the codes the libraries produce', () => {
    expect(new Set(Object.keys(LibraryErrors.specs))).toEqual(new Set([...thrown.map(([c]) => c), ...chainReasons]));
  });

  it('leaves other errors alone (a real fault stays a 500)', () => {
    expect(fromLibraryError(new TypeError('bug'))).toBeUndefined();
  });
});
