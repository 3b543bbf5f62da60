import type { EnrollmentResult } from '#protocol';
import { issuedChainView, type IssuedChain } from '../certificates/index.js';

/** The wire shape is #protocol's, shared with the SDK that parses it. */
export type { EnrollmentResult } from '#protocol';

export function enrollmentResult(deviceId: string, accountId: string, chain: IssuedChain): EnrollmentResult {
  const view = issuedChainView(chain, deviceId);
  return { ...view, accountId, notAfter: view.certificate.notAfter };
}
