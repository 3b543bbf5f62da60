/**
 * Outbox topic: one key-lifecycle event to append to the org's key-transparency log.
 * Written in the same transaction as the change it describes; consumed by the
 * transparency module's sequencer, which encodes it with libs/tlog's entry format.
 */
export const KT_APPEND_TOPIC = 'kt.append';

export type KtEventType =
  | 'device_enrolled'
  | 'certificate_issued'
  | 'certificate_renewed'
  | 'certificate_revoked'
  | 'account_deprovisioned'
  | 'account_reactivated'
  | 'external_sender_key'
  | 'ca_rotated'
  | 'removal_proposed'
  | 'removal_committed'
  | 'device_expired'
  | 'audit_anchor'
  | 'external_sender_rotated'
  | 'log_key_rotated';

export interface KtEvent {
  type: KtEventType;
  orgId: string;
  accountId?: string;
  deviceId?: string;
  /** Lower-case hex SHA-256 of the certificate DER. */
  certificateSha256?: string;
  /** Lower-case hex SHA-256 of the MLS signature key (SubjectPublicKeyInfo DER). */
  signatureKeySha256?: string;
  reason?: string;
  /** ISO 8601, the time of the change. */
  timestamp: string;
  /** Removal events only: which member of which group, and when its removal was first planned. */
  removal?: {
    /** Lower-case hex SHA-256 of the MLS group_id. */
    groupIdSha256: string;
    /** Decimal, as MLS epochs are uint64. */
    epoch: string;
    leafIndex: number;
    /** ISO 8601. */
    plannedAt: string;
  };
  /** audit_anchor only: the org's audit chain entry `seq` has hash `headSha256` (lower-case hex). */
  auditAnchor?: { seq: string; headSha256: string };
  [key: string]: unknown;
}

export function ktAppend(event: KtEvent) {
  return { orgId: event.orgId, topic: KT_APPEND_TOPIC, payload: event };
}
