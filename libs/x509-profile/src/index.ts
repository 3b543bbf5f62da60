import 'reflect-metadata';

export * from './errors.js';
export { encodePem, type DerOrPem } from './der-input.js';
export {
  describePublicKey,
  requireKeyMatchesCiphersuite,
  type KeyAlgorithmName,
  type PublicKeyDescription,
  type SupportedKeyAlgorithm,
} from './ciphersuite.js';
export { checkCertificationRequest, MAX_CSR_BYTES, type CheckedCsr, type CsrCheckOptions, type CsrSignatureVerifier } from './csr.js';
export type { CertificationRequestParts } from './rfc2986-certification-request.js';
export { parseCertificate, MAX_CERTIFICATE_BYTES } from './certificate-input.js';
export type { CertificateIssuer, IssuedCertificate } from './certificate-issuer.js';
export { externalSigningKey, isExternalSigningKey, type ExternalKeyAlgorithm, type ExternalSign } from './external-key.js';
export {
  deviceIdentityUri,
  serviceIdentityUri,
  parseIdentityUri,
  isOrgSlug,
  type DeviceIdentity,
  type ServiceIdentity,
  type ServiceName,
  type IdentityUri,
} from './identity-uri.js';
export {
  issueDeviceCertificate,
  issueServiceCertificate,
  DEFAULT_DEVICE_LIFETIME_SECONDS,
  MAX_DEVICE_LIFETIME_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  type DeviceCertificateParams,
  type ServiceCertificateParams,
} from './device-certificate.js';
export {
  EndEntityTemplate,
  cryptoKeySigner,
  type TbsSigner,
  type UnsignedCertificate,
  type DeviceTemplateParams,
  type ServiceTemplateParams,
} from './end-entity-template.js';
export { ecdsaSignatureDer } from './der-writer.js';
export type { IssuerSignatureAlgorithm } from './rfc5280-certificate-fields.js';
export {
  createRootCa,
  createIntermediateCa,
  CA_KEY_ALGORITHMS,
  DEFAULT_ROOT_LIFETIME_SECONDS,
  DEFAULT_INTERMEDIATE_LIFETIME_SECONDS,
  type RootCaParams,
  type IntermediateCaParams,
} from './ca-certificate.js';
export {
  createCrl,
  checkCrl,
  parseCrl,
  REVOCATION_REASON_CODES,
  MAX_CRL_BYTES,
  DEFAULT_CRL_VALIDITY_SECONDS,
  type RevocationReason,
  type RevokedCertificateEntry,
  type CrlParams,
  type IssuedCrl,
  type CheckedCrl,
} from './crl.js';
export { validateChain, type ChainValidationOptions, type ValidatedChain, type RevocationScope } from './chain-validation.js';
export { isEmailDomain, mailboxDomain } from './name-constraints.js';
export { identityOf, sameClient, type ClientIdentity, type DeviceClientIdentity } from './client-identity.js';
