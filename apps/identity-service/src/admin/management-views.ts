import type { AdminAccount } from '../accounts/index.js';
import { reasonName, type Certificate } from '../certificates/index.js';

// Explicit views, as in admin-views.ts: nothing of a row reaches the API unless named here.

export const accountView = (a: AdminAccount) => ({
  id: a.id,
  userName: a.userName,
  displayName: a.displayName,
  email: a.email,
  externalId: a.externalId,
  status: a.status,
  suspendedAt: a.suspendedAt,
  suspendedBy: a.suspendedBy,
  deprovisionedAt: a.deprovisionedAt,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});

export const certificateView = (c: Certificate) => ({
  id: c.id,
  deviceId: c.deviceId,
  serial: c.serial,
  sha256: c.sha256.toString('hex'),
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  status: c.status,
  revokedAt: c.revokedAt,
  revocationReason: c.revokedAt ? reasonName(c.revocationReason) : null,
});
