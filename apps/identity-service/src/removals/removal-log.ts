import { createHash } from 'node:crypto';
import type { OutboxEvent } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';

/** A removal as the key-transparency log records it (issue 12 §5). */
export interface LoggedRemoval {
  /** The MLS group_id; the log holds its SHA-256 only. */
  groupId: Uint8Array;
  /** The proposal's epoch, or the epoch of the report that showed the member gone. */
  epoch: string;
  leafIndex: number;
  deviceId: string;
  reason: string;
  /** When the removal of this member was first planned (re-signed proposals keep it). */
  plannedAt: Date;
}

/**
 * kt.append events for removals proposed or observed committed, written in the transaction that
 * signs or reconciles them: an auditor reads removal latency (timestamp − planned_at of each
 * removal_committed) and the removals still open from the log alone, without trusting the
 * service's database or metrics.
 */
export function removalLogEvents(
  type: 'removal_proposed' | 'removal_committed',
  orgId: string,
  removals: readonly LoggedRemoval[],
  at: Date,
): OutboxEvent[] {
  return removals.map((r) =>
    ktAppend({
      type,
      orgId,
      deviceId: r.deviceId,
      reason: r.reason,
      timestamp: at.toISOString(),
      removal: {
        groupIdSha256: createHash('sha256').update(r.groupId).digest('hex'),
        epoch: r.epoch,
        leafIndex: r.leafIndex,
        plannedAt: r.plannedAt.toISOString(),
      },
    }),
  );
}
