// Public API of libs/protocol: the service's own wire protocol, shared by the service, the
// CLI and the SDK. Pure (no I/O, no NestJS, no Node-only APIs). See ../README.md.
export {
  bodyHash,
  DEVICE_AUTH_SCHEME,
  DEVICE_REQUEST_TYP,
  DeviceSignatureError,
  leafOf,
  MAX_REQUEST_AGE_SECONDS,
  signDeviceRequest,
  verifyDeviceRequest,
  type DeviceRequest,
  type DeviceRequestClaims,
  type DeviceRequestSigner,
} from './device-request-signature.js';
export { keyBoundNonce, reauthenticationNonce } from './key-bound-nonce.js';
export { csrInput } from './csr-input.js';
export type { EnrollmentRequest, EnrollmentResult, IssuedCertificateView, ReauthenticationRequest, RenewalRequest } from './enrollment-wire.js';
export { canonicalJson } from './canonical-json.js';
export {
  AUDIT_CHAIN_GENESIS,
  AUDIT_CHAIN_VERSION,
  AuditChainVerifier,
  auditEntryBytes,
  auditEntryHash,
  type AuditAnchor,
  type AuditChainBreak,
  type AuditChainEntry,
  type AuditChainFields,
  type AuditChainVerdict,
  type Sha256,
} from './audit-chain.js';
export { MLS_PROFILE_NOTE_HEADER, MlsProfileMismatch, mlsProfileNoteText, openMlsProfile } from './mls-profile.js';
