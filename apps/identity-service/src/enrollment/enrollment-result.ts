import { issuedChainView, type IssuedChain } from '../certificates/index.js';

/** What an enrolled device receives: everything it needs to join MLS groups and to renew. */
export interface EnrollmentResult {
  deviceId: string;
  accountId: string;
  certificate: { id: string; serial: string; sha256: string; notBefore: string; notAfter: string };
  /** Leaf first, then the org intermediate. */
  chainPem: string;
  /** base64 DER of each certificate, leaf first. */
  chainDer: string[];
  /** base64 of the RFC 9420 §5.3 Credential (x509), ready for ts-mls. */
  credential: string;
  notAfter: string;
  /** Renew from here on: two thirds into the lifetime, leaving a third for retries. */
  renewAfter: string;
}

export function enrollmentResult(deviceId: string, accountId: string, chain: IssuedChain): EnrollmentResult {
  const view = issuedChainView(chain, deviceId);
  return { ...view, accountId, notAfter: view.certificate.notAfter };
}
