// Public API of libs/client-sdk: the device side of mls-identity. See ../README.md.
import 'reflect-metadata';

export * from './errors.js';
export { SUPPORTED_CIPHERSUITES, ciphersuiteKeyParams, type CiphersuiteKeyParams } from './ciphersuite.js';
export {
  generateDeviceKeys,
  exportMlsSignatureKeyPair,
  exportDeviceKeys,
  importDeviceKeys,
  type DeviceKeys,
  type MlsSignatureKeyPair,
  type StoredDeviceKeys,
  type GenerateDeviceKeysOptions,
} from './device-keys.js';
export { createCertificationRequest, keyBoundNonce, type CertificationRequest } from './certification-request.js';
export { signDeviceRequest, DEVICE_AUTH_SCHEME, DEVICE_REQUEST_TYP, type DeviceRequest, type SigningDevice } from './device-request-signature.js';
export { parseIssuedCertificate, mlsCredentialOf, type DeviceCertificate, type EnrolledDevice } from './device-certificate.js';
export type { DeviceDescription, EnrollOptions, RedirectEnrollment, UserCodePrompt } from './enrollment.js';
export {
  AutoRenewal,
  renewCertificate,
  renewalTime,
  renewalRefusalOf,
  type AutoRenewalOptions,
  type RenewalEvent,
  type RenewalRefusal,
  type RenewOptions,
  type Renewed,
} from './renewal.js';
export { freshJti, reauthenticate, type ReauthenticateOptions, type ReauthenticationSignIn } from './reauthentication.js';
export { reauthenticationNonce } from '#protocol';
export { certificatesFromPem, TRUST_BUNDLE_TTL_MS, type TrustBundle } from './trust-bundle.js';
export { TransparencyLog, type LogEntry, type ProvenHistory, type TransparencyLogOptions } from './transparency-log.js';
export { combineFindings, logFinding, statusFinding, type Finding, type PeerState } from './peer-verdict.js';
export { PeerVerifier, type PeerCredentialInput, type PeerVerification } from './peer-verification.js';
export { accountEventsSince, AccountWatcher, type AccountChanges, type AccountEvent } from './account-watch.js';
export {
  fetchExternalSenders,
  receiveExternalProposal,
  removalCommitDelay,
  commitPendingRemovals,
  RemovalCommitScheduler,
  type ServiceExternalSenders,
  type RemovalCommitPolicy,
  type ExternalProposalOutcome,
  type RemovalCommit,
} from './service-removals.js';
export { MemoryStorage, type SdkStorage } from './storage.js';
export { encodeBase64, decodeBase64, encodeBase64Url, encodeHex, decodeHex } from './base64.js';
export { systemClock, type Clock } from './timers.js';
export { ServiceTransport, type FetchLike, type TransportOptions } from './service-transport.js';
export { IdentityClient, DeviceSession, type IdentityClientOptions } from './identity-client.js';
