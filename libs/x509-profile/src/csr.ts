import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, Pkcs10CertificateRequest } from '@peculiar/x509';
import { sha256 } from '@noble/hashes/sha2';
import { profileCiphersuite, requireKeyMatchesCiphersuite, type SupportedKeyAlgorithm } from './ciphersuite.js';
import { readPlainCertificationRequest, type CertificationRequestParts } from './rfc2986-certification-request.js';
import { UNTRUSTED_BER_LIMITS } from './certificate-input.js';
import { decodeDerOrPem, exactArrayBuffer, type DerOrPem } from './der-input.js';
import { CsrCaRequestedError, CsrSignatureInvalidError, MalformedInputError } from './errors.js';

/** A device CSR holds a key, a name and maybe a few extensions: 8 KiB is generous. */
export const MAX_CSR_BYTES = 8 * 1024;

const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';

export interface CsrCheckOptions {
  /** The MLS cipher suite the device will use; the CSR key must be its signature key type. */
  readonly ciphersuite: number;
  readonly maxBytes?: number;
  /**
   * A faster signature check for requests of the plain device shape (see
   * rfc2986-certification-request.ts), e.g. node:crypto's synchronous verify. When it is given
   * and accepts, the schema parser is skipped; when it refuses, or the request has another
   * shape, the reference path decides, so the outcome and its error are the same either way.
   */
  readonly verify?: CsrSignatureVerifier;
}

/** Whether `signature` (Ed25519 raw, or DER ECDSA with the curve's hash) verifies over `signedData` with the SPKI's key. */
export type CsrSignatureVerifier = (parts: CertificationRequestParts) => boolean | Promise<boolean>;

/** What survives a CSR check: the key only. Identity always comes from the server. */
export interface CheckedCsr {
  /** DER SubjectPublicKeyInfo, to be certified as is. */
  readonly subjectPublicKeyInfo: Uint8Array<ArrayBuffer>;
  /** SHA-256 of the DER SubjectPublicKeyInfo, for key lookups and pinning. */
  readonly subjectPublicKeyInfoSha256: Uint8Array<ArrayBuffer>;
  readonly keyAlgorithm: SupportedKeyAlgorithm;
}

/**
 * Checks a PKCS#10 request (RFC 2986): size, structure, key type for the cipher suite, the
 * self-signature as proof of possession (RFC 2986 §3 step 3), and that it does not ask for a CA.
 */
export async function checkCertificationRequest(input: DerOrPem, options: CsrCheckOptions): Promise<CheckedCsr> {
  const der = decodeDerOrPem(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'], options.maxBytes ?? MAX_CSR_BYTES);
  if (options.verify) {
    const plain = readPlainCertificationRequest(der);
    if (plain && plain.keyAlgorithm === suiteKeyAlgorithm(options.ciphersuite) && (await options.verify(plain))) {
      const spki = new Uint8Array(plain.subjectPublicKeyInfo);
      return { subjectPublicKeyInfo: spki, subjectPublicKeyInfoSha256: new Uint8Array(sha256(spki)), keyAlgorithm: plain.keyAlgorithm };
    }
  }
  let csr: Pkcs10CertificateRequest;
  let spki: Uint8Array<ArrayBuffer>;
  try {
    csr = new Pkcs10CertificateRequest(exactArrayBuffer(der), UNTRUSTED_BER_LIMITS);
    spki = new Uint8Array(csr.publicKey.rawData);
  } catch (cause) {
    throw new MalformedInputError('CSR is not a valid PKCS#10 CertificationRequest', { cause });
  }
  const key = requireKeyMatchesCiphersuite(spki, options.ciphersuite);

  let verified: boolean;
  try {
    verified = await csr.verify(globalThis.crypto);
  } catch (cause) {
    throw new CsrSignatureInvalidError('CSR signature could not be verified with its own key', { cause });
  }
  if (!verified) {
    throw new CsrSignatureInvalidError('CSR signature does not verify with its own key');
  }

  refuseCaRequest(csr);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', spki);
  return {
    subjectPublicKeyInfo: spki,
    subjectPublicKeyInfoSha256: new Uint8Array(digest),
    keyAlgorithm: key.algorithm as SupportedKeyAlgorithm,
  };
}

function suiteKeyAlgorithm(ciphersuite: number): SupportedKeyAlgorithm | undefined {
  try {
    return profileCiphersuite(ciphersuite).keyAlgorithm;
  } catch {
    return undefined; // the reference path words the refusal
  }
}

/** A request for cA=TRUE or for certificate/CRL signing is refused rather than silently downgraded. */
function refuseCaRequest(csr: Pkcs10CertificateRequest): void {
  let basicConstraints: BasicConstraintsExtension[];
  let keyUsages: KeyUsagesExtension[];
  try {
    basicConstraints = csr.getExtensions(OID_BASIC_CONSTRAINTS) as BasicConstraintsExtension[];
    keyUsages = csr.getExtensions(OID_KEY_USAGE) as KeyUsagesExtension[];
  } catch (cause) {
    throw new MalformedInputError('CSR extensionRequest is not valid', { cause });
  }
  if (basicConstraints.some((ext) => ext.ca)) {
    throw new CsrCaRequestedError('CSR requests a CA certificate (basicConstraints cA=TRUE)');
  }
  const signing = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;
  if (keyUsages.some((ext) => (ext.usages & signing) !== 0)) {
    throw new CsrCaRequestedError('CSR requests certificate or CRL signing key usage');
  }
}
