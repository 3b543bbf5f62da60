/** The certificates module's public surface: other modules import only from here. */
export * from './certificates.module.js';
export * from './ca.entity.js';
export * from './certificate-authority.service.js';
export * from './certificate-revocation.service.js';
export * from './certificate-status-channel.js';
export * from './certificate-status.service.js';
export * from './certificate.entity.js';
export { LIVE_CERTIFICATE_STATUSES, type DeviceCertificateState, type RevokedCertificateRow } from './certificate.repository.js';
export * from './certificates.errors.js';
export * from './certificates.service.js';
export * from './crl-refresh.topic.js';
export * from './issued-chain.view.js';
export * from './revocation-reason.js';
export * from './crl.service.js';
export * from './org-ca.service.js';
