// The shield state of a peer, combined from independent evidence: the chain against the org
// trust bundle, the service's status answer, and the key-transparency log. The log outranks
// everything (a log that lies makes every other answer suspect), then revocation, expiry,
// and anything unconfirmed reads as `unknown`.
import type { KeyEvent } from '#tlog';
import { encodeHex } from './base64.js';

export type PeerState = 'verified' | 'expired' | 'revoked' | 'unknown' | 'log-inconsistent';

/** What one source of evidence concluded, with a machine-readable reason. */
export interface Finding {
  readonly state: PeerState;
  readonly reason: string;
}

const RANK: Record<PeerState, number> = { 'log-inconsistent': 4, revoked: 3, expired: 2, unknown: 1, verified: 0 };

/** The most serious finding; among equals the first (the order evidence was gathered). */
export function combineFindings(findings: readonly Finding[]): Finding {
  let worst: Finding = { state: 'verified', reason: 'verified' };
  for (const f of findings) if (RANK[f.state] > RANK[worst.state]) worst = f;
  return worst;
}

/** The status API's answer for the leaf (`POST /v1/certificates/status`). */
export function statusFinding(status: { status?: unknown; reason?: unknown }): Finding {
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  switch (status.status) {
    case 'valid':
      return { state: 'verified', reason: 'status_valid' };
    case 'revoked':
      return { state: 'revoked', reason: reason ?? 'revoked' };
    case 'expired':
      return { state: 'expired', reason: 'expired' };
    default:
      return { state: 'unknown', reason: reason ?? `status_${String(status.status)}` };
  }
}

const ISSUANCE: ReadonlySet<string> = new Set(['certificate_issued', 'certificate_renewed']);

/**
 * What the account's proven log history says about one certificate: it must have an
 * issuance (or renewal) entry for this device, and no later revocation of it nor a later
 * deprovisioning of the account that was not undone by a reactivation.
 */
export function logFinding(
  entries: readonly { index: number; event: KeyEvent }[],
  leaf: { sha256: string; deviceId: string },
): Finding & { issuedAt?: number } {
  const issuance = entries.find(
    (e) => ISSUANCE.has(e.event.type) && e.event.certificateSha256 && encodeHex(e.event.certificateSha256) === leaf.sha256,
  );
  if (!issuance) return { state: 'unknown', reason: 'not_in_log' };
  if (issuance.event.device !== leaf.deviceId) {
    return { state: 'log-inconsistent', reason: 'log_entry_names_another_device' };
  }
  let deprovisioned: KeyEvent | undefined;
  for (const e of entries) {
    if (e.index <= issuance.index) continue;
    if (e.event.type === 'certificate_revoked' && e.event.certificateSha256 && encodeHex(e.event.certificateSha256) === leaf.sha256) {
      return { state: 'revoked', reason: e.event.reason ?? 'revoked_in_log', issuedAt: issuance.index };
    }
    // the device left its groups for good when its certificate lapsed past the org's grace
    if (e.event.type === 'device_expired' && e.event.device === leaf.deviceId) {
      return { state: 'expired', reason: 'device_expired', issuedAt: issuance.index };
    }
    if (e.event.type === 'account_deprovisioned') deprovisioned = e.event;
    if (e.event.type === 'account_reactivated') deprovisioned = undefined;
  }
  if (deprovisioned) return { state: 'revoked', reason: 'account_deprovisioned', issuedAt: issuance.index };
  return { state: 'verified', reason: 'in_log', issuedAt: issuance.index };
}
