import type { DeviceRecord } from './device.repository.js';

/** A device as admins see it (the key itself never leaves the service). */
export const deviceView = (d: DeviceRecord) => ({
  id: d.id,
  accountId: d.accountId,
  name: d.name,
  platform: d.platform,
  ciphersuite: d.ciphersuite,
  status: d.status,
  signatureKeySha256: d.signatureKeySha256.toString('hex'),
  createdAt: d.createdAt,
  revokedAt: d.revokedAt,
  revocationReason: d.revocationReason,
  expiredAt: d.expiredAt,
  /** The end of the device's newest certificate: the device expires the org's grace after it. */
  credentialNotAfter: d.credentialNotAfter,
  authenticatedAt: d.authenticatedAt,
});
