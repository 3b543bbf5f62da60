import { KEY_EVENT_TYPES, REMOVAL_EVENT_TYPES, type AuditAnchorFields, type KeyEvent, type KeyEventType, type RemovalFields } from '#tlog';
import type { KtEvent } from './kt-event.js';

/** A kt.append payload that cannot become a log entry (a producer bug: the message goes dead). */
export class KtEventInvalid extends Error {
  readonly code = 'ERR_KT_EVENT_INVALID';
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function optionalText(event: Record<string, unknown>, field: string): string | undefined {
  const value = event[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new KtEventInvalid(`${field} must be a string`);
  return value;
}

function optionalDigest(event: Record<string, unknown>, field: string): Uint8Array | undefined {
  const value = optionalText(event, field);
  if (value === undefined) return undefined;
  if (!SHA256_HEX.test(value)) throw new KtEventInvalid(`${field} must be 64 lower-case hex digits`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function isoTime(value: unknown, field: string): number {
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isSafeInteger(at) || at < 0) throw new KtEventInvalid(`${field} must be an ISO 8601 time after 1970`);
  return at;
}

/** The removal fields of a removal event, checked; libs/tlog checks their ranges again when encoding. */
function removalFields(value: unknown): RemovalFields {
  if (typeof value !== 'object' || value === null) throw new KtEventInvalid('a removal event needs its removal fields');
  const r = value as Record<string, unknown>;
  const groupIdSha256 = optionalDigest(r, 'groupIdSha256');
  if (!groupIdSha256) throw new KtEventInvalid('removal.groupIdSha256 is required');
  if (typeof r.epoch !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(r.epoch) || !Number.isSafeInteger(Number(r.epoch)))
    throw new KtEventInvalid('removal.epoch must be a decimal epoch up to 2^53 − 1');
  if (!Number.isInteger(r.leafIndex)) throw new KtEventInvalid('removal.leafIndex must be an integer');
  return { groupIdSha256, epoch: Number(r.epoch), leafIndex: r.leafIndex as number, plannedAt: isoTime(r.plannedAt, 'removal.plannedAt') };
}

function auditAnchorFields(value: unknown): AuditAnchorFields {
  if (typeof value !== 'object' || value === null) throw new KtEventInvalid('an audit_anchor event needs its anchor fields');
  const a = value as Record<string, unknown>;
  if (typeof a.seq !== 'string' || !/^[1-9][0-9]{0,15}$/.test(a.seq) || !Number.isSafeInteger(Number(a.seq)))
    throw new KtEventInvalid('auditAnchor.seq must be a positive decimal up to 2^53 − 1');
  const chainHeadSha256 = optionalDigest(a, 'headSha256');
  if (!chainHeadSha256) throw new KtEventInvalid('auditAnchor.headSha256 is required');
  return { sequence: Number(a.seq), chainHeadSha256 };
}

/**
 * The libs/tlog entry for an outbox event. `orgId` is the outbox row's org, which the
 * payload must agree with: an event can only ever land in its own org's log.
 */
export function keyEventFromKtEvent(payload: unknown, orgId: string | null): KeyEvent {
  if (typeof payload !== 'object' || payload === null) throw new KtEventInvalid('payload must be an object');
  const event = payload as Partial<KtEvent> & Record<string, unknown>;
  if (typeof event.type !== 'string' || !Object.hasOwn(KEY_EVENT_TYPES, event.type)) {
    throw new KtEventInvalid(`unknown event type ${JSON.stringify(event.type)}`);
  }
  if (typeof event.orgId !== 'string' || event.orgId !== orgId) throw new KtEventInvalid('payload orgId differs from the outbox org');
  const timestamp = isoTime(event.timestamp, 'timestamp');
  const account = optionalText(event, 'accountId');
  const device = optionalText(event, 'deviceId');
  const certificateSha256 = optionalDigest(event, 'certificateSha256');
  const mlsSignatureKeySha256 = optionalDigest(event, 'signatureKeySha256');
  const reason = optionalText(event, 'reason');
  const isRemoval = REMOVAL_EVENT_TYPES.has(event.type as KeyEventType);
  if (!isRemoval && event.removal !== undefined) throw new KtEventInvalid(`a ${event.type} event carries no removal fields`);
  const removal = isRemoval ? removalFields(event.removal) : undefined;
  const isAnchor = event.type === 'audit_anchor';
  if (!isAnchor && event.auditAnchor !== undefined) throw new KtEventInvalid(`a ${event.type} event carries no audit anchor`);
  const auditAnchor = isAnchor ? auditAnchorFields(event.auditAnchor) : undefined;
  return {
    type: event.type as KeyEventType,
    org: orgId,
    ...(account !== undefined && { account }),
    ...(device !== undefined && { device }),
    ...(certificateSha256 !== undefined && { certificateSha256 }),
    ...(mlsSignatureKeySha256 !== undefined && { mlsSignatureKeySha256 }),
    ...(reason !== undefined && { reason }),
    timestamp,
    ...(removal !== undefined && { removal }),
    ...(auditAnchor !== undefined && { auditAnchor }),
  };
}
