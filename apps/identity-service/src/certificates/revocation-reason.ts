import { REVOCATION_REASON_CODES, type RevocationReason as CrlReasonName } from '#x509-profile';

/**
 * The RFC 5280 §5.3.1 reasons this service revokes with. certificateHold is not offered
 * (revocation here is final) and removeFromCRL belongs only to delta CRLs.
 */
const OFFERED = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;

export type RevocationReason = (typeof OFFERED)[number];

/** Reason name → CRLReason code, for the reasons offered. */
export const CRL_REASON = Object.fromEntries(OFFERED.map((r) => [r, REVOCATION_REASON_CODES[r]])) as Record<RevocationReason, number>;

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && (OFFERED as readonly string[]).includes(value);
}

const NAME_BY_CODE = new Map(Object.entries(REVOCATION_REASON_CODES).map(([name, code]) => [code, name as CrlReasonName]));

/** CRLReason code (as stored) → its RFC 5280 name; unknown or missing codes read as unspecified. */
export function reasonName(code: number | null | undefined): CrlReasonName {
  return NAME_BY_CODE.get(code ?? 0) ?? 'unspecified';
}
