/**
 * Outbox topic: the CRLs of these CAs must be regenerated (a certificate was revoked).
 * Written in the revoking transaction; consumed by the certificates module.
 */
export const CRL_REFRESH_TOPIC = 'crl.refresh';

export interface CrlRefreshPayload {
  caIds: string[];
  [key: string]: unknown;
}
