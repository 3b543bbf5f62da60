/**
 * Outbox topic owned by the devices module: these devices lost their credentials. Written in
 * the revoking transaction; the removals module consumes it and plans a signed external
 * Remove for every MLS group the devices are in. The string predates the devices module and
 * stays, so messages already queued are still handled.
 */
export const DEVICES_REVOKED_TOPIC = 'removal.plan';

export interface DevicesRevokedPayload {
  deviceIds: string[];
  reason: string;
  [key: string]: unknown;
}

/** The reason expired devices travel with on this topic (and in their removals and KT entries). */
export const EXPIRED_REASON = 'expired';
