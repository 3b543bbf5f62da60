import { EntryMalformed } from './errors.js';

/**
 * The log entry: one key lifecycle event, in a versioned canonical binary form (TLS
 * presentation language style, RFC 8446 §3). The README holds the normative description
 * third parties parse against. Version 1:
 *
 *   struct {
 *     uint8  version;                           // 1
 *     uint8  event_type;                        // KEY_EVENT_TYPES
 *     uint64 timestamp;                         // ms since 1970-01-01T00:00:00Z
 *     opaque org<1..255>;                       // UTF-8
 *     opaque account<0..255>;                   // UTF-8, empty = none
 *     opaque device<0..255>;                    // UTF-8, empty = none
 *     opaque certificate_sha256<0..255>;        // empty or 32 bytes
 *     opaque mls_signature_key_sha256<0..255>;  // empty or 32 bytes
 *     opaque reason<0..255>;                    // UTF-8, empty = none
 *   } KeyEventEntry;
 *
 * Version 2 is version 1 followed by the MLS removal fields, and is the layout of exactly
 * the removal event types (and they of no other version):
 *
 *     opaque group_id_sha256<0..255>;           // 32 bytes
 *     uint64 epoch;                             // ≤ 2^53 − 1
 *     uint32 leaf_index;
 *     uint64 planned_at;                        // ms since 1970-01-01T00:00:00Z
 *
 * Version 3 is version 1 followed by an audit chain anchor, and is the layout of exactly the
 * `audit_anchor` type:
 *
 *     uint64 audit_sequence;                    // ≥ 1, ≤ 2^53 − 1
 *     opaque chain_head_sha256<0..255>;         // 32 bytes
 */
export const ENTRY_VERSION = 1;
/** The layout of removal events (issue 12 §5): version 1 plus group, epoch, leaf and planning time. */
export const REMOVAL_ENTRY_VERSION = 2;
/** The layout of audit anchors (issue 15): version 1 plus the org's audit chain sequence and head hash. */
export const AUDIT_ANCHOR_ENTRY_VERSION = 3;

/** Wire codes of the event types; never renumber, only append. */
export const KEY_EVENT_TYPES = {
  device_enrolled: 1,
  certificate_issued: 2,
  certificate_renewed: 3,
  certificate_revoked: 4,
  account_deprovisioned: 5,
  account_reactivated: 6,
  external_sender_key: 7,
  ca_rotated: 8,
  removal_proposed: 9,
  removal_committed: 10,
  device_expired: 11,
  audit_anchor: 12,
  /** The org's MLS external-sender key was rotated: mls_signature_key_sha256 of the NEW key; reason `started`, `completed` or `forced`. */
  external_sender_rotated: 14,
  /** The org's log key was rotated: mls_signature_key_sha256 = SHA-256 of the new key's SPKI; reason = its verifier key. */
  log_key_rotated: 15,
} as const;

export type KeyEventType = keyof typeof KEY_EVENT_TYPES;

/** The event types of version-2 entries, which carry RemovalFields. */
export const REMOVAL_EVENT_TYPES: ReadonlySet<KeyEventType> = new Set(['removal_proposed', 'removal_committed']);

/** The org's audit chain at one point: the entry with this sequence has this hash (audit_anchor). */
export interface AuditAnchorFields {
  readonly sequence: number;
  readonly chainHeadSha256: Uint8Array;
}

/**
 * Which member of which MLS group a removal event is about. The group appears as the SHA-256
 * of its group_id: every device of the org reads the log, and group ids are chosen by clients
 * (room names, often), so the log identifies a group to whoever knows its id and to no one else.
 */
export interface RemovalFields {
  readonly groupIdSha256: Uint8Array;
  /** removal_proposed: the epoch the proposal is for; removal_committed: the first epoch reported without the member. */
  readonly epoch: number;
  readonly leafIndex: number;
  /** When the service first planned removing this member (ms); re-signed proposals keep it. */
  readonly plannedAt: number;
}

/** A key lifecycle event. Optional fields are absent rather than empty. */
export interface KeyEvent {
  readonly type: KeyEventType;
  readonly org: string;
  readonly account?: string;
  readonly device?: string;
  /** SHA-256 of the certificate's DER (for ca_rotated: of the new CA certificate). */
  readonly certificateSha256?: Uint8Array;
  /** SHA-256 of the MLS signature public key (for external_sender_key: of the external sender key). */
  readonly mlsSignatureKeySha256?: Uint8Array;
  readonly reason?: string;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** Present exactly on removal events (REMOVAL_EVENT_TYPES). */
  readonly removal?: RemovalFields;
  /** Present exactly on `audit_anchor` events. */
  readonly auditAnchor?: AuditAnchorFields;
}

const MAX_FIELD_BYTES = 255;
const SHA256_SIZE = 32;
const TYPE_BY_CODE = new Map<number, KeyEventType>(Object.entries(KEY_EVENT_TYPES).map(([name, code]) => [code, name as KeyEventType]));
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Surrogate}/u;

function encodeText(field: string, value: string | undefined, required: boolean): Uint8Array {
  if (value === undefined) {
    if (required) throw new EntryMalformed(`${field} is required`);
    return new Uint8Array(0);
  }
  if (typeof value !== 'string' || value.length === 0) throw new EntryMalformed(`${field} must be a non-empty string when present`);
  if (LONE_SURROGATE.test(value)) throw new EntryMalformed(`${field} is not valid Unicode`);
  const bytes = utf8Encoder.encode(value);
  if (bytes.length > MAX_FIELD_BYTES) throw new EntryMalformed(`${field} is longer than ${MAX_FIELD_BYTES} bytes`);
  return bytes;
}

function encodeDigest(field: string, value: Uint8Array | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (!(value instanceof Uint8Array) || value.length !== SHA256_SIZE) throw new EntryMalformed(`${field} must be 32 bytes`);
  return value;
}

function encodeRemoval(removal: RemovalFields | undefined): Uint8Array {
  if (typeof removal !== 'object' || removal === null) throw new EntryMalformed('a removal event needs its removal fields');
  const group = encodeDigest('groupIdSha256', removal.groupIdSha256);
  if (group.length !== SHA256_SIZE) throw new EntryMalformed('groupIdSha256 must be 32 bytes');
  for (const [field, value] of [
    ['epoch', removal.epoch],
    ['plannedAt', removal.plannedAt],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new EntryMalformed(`${field} must be a non-negative safe integer`);
  }
  if (!Number.isInteger(removal.leafIndex) || removal.leafIndex < 0 || removal.leafIndex > 0xffffffff)
    throw new EntryMalformed('leafIndex must be a uint32');
  const out = new Uint8Array(1 + SHA256_SIZE + 8 + 4 + 8);
  const view = new DataView(out.buffer);
  out[0] = SHA256_SIZE;
  out.set(group, 1);
  view.setBigUint64(1 + SHA256_SIZE, BigInt(removal.epoch), false);
  view.setUint32(1 + SHA256_SIZE + 8, removal.leafIndex, false);
  view.setBigUint64(1 + SHA256_SIZE + 12, BigInt(removal.plannedAt), false);
  return out;
}

function encodeAuditAnchor(anchor: AuditAnchorFields | undefined): Uint8Array {
  if (typeof anchor !== 'object' || anchor === null) throw new EntryMalformed('an audit_anchor event needs its anchor fields');
  if (!Number.isSafeInteger(anchor.sequence) || anchor.sequence < 1) throw new EntryMalformed('sequence must be a positive safe integer');
  const head = encodeDigest('chainHeadSha256', anchor.chainHeadSha256);
  if (head.length !== SHA256_SIZE) throw new EntryMalformed('chainHeadSha256 must be 32 bytes');
  const out = new Uint8Array(8 + 1 + SHA256_SIZE);
  new DataView(out.buffer).setBigUint64(0, BigInt(anchor.sequence), false);
  out[8] = SHA256_SIZE;
  out.set(head, 9);
  return out;
}

/** Encodes an event as a log entry (the bytes that are leaf-hashed and put in entry bundles). */
export function encodeKeyEvent(event: KeyEvent): Uint8Array {
  const code = KEY_EVENT_TYPES[event.type];
  if (code === undefined || !Object.hasOwn(KEY_EVENT_TYPES, event.type)) throw new EntryMalformed('unknown event type');
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp < 0) throw new EntryMalformed('timestamp must be a non-negative safe integer');
  const isRemoval = REMOVAL_EVENT_TYPES.has(event.type);
  if (!isRemoval && event.removal !== undefined) throw new EntryMalformed(`a ${event.type} event carries no removal fields`);
  const isAnchor = event.type === 'audit_anchor';
  if (!isAnchor && event.auditAnchor !== undefined) throw new EntryMalformed(`a ${event.type} event carries no audit anchor`);
  const fields = [
    encodeText('org', event.org, true),
    encodeText('account', event.account, false),
    encodeText('device', event.device, false),
    encodeDigest('certificateSha256', event.certificateSha256),
    encodeDigest('mlsSignatureKeySha256', event.mlsSignatureKeySha256),
    encodeText('reason', event.reason, false),
  ];
  const tail = isRemoval ? encodeRemoval(event.removal) : isAnchor ? encodeAuditAnchor(event.auditAnchor) : new Uint8Array(0);
  const out = new Uint8Array(10 + fields.reduce((n, f) => n + 1 + f.length, 0) + tail.length);
  const view = new DataView(out.buffer);
  out[0] = isRemoval ? REMOVAL_ENTRY_VERSION : isAnchor ? AUDIT_ANCHOR_ENTRY_VERSION : ENTRY_VERSION;
  out[1] = code;
  view.setBigUint64(2, BigInt(event.timestamp), false);
  let at = 10;
  for (const f of fields) {
    out[at] = f.length;
    out.set(f, at + 1);
    at += 1 + f.length;
  }
  out.set(tail, at);
  return out;
}

/** Reads the fields of an entry in order, failing on any overrun. */
class EntryReader {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  uint8(): number {
    if (this.#at + 1 > this.bytes.length) throw new EntryMalformed('entry is truncated');
    return this.bytes[this.#at++]!;
  }

  uint32(): number {
    if (this.#at + 4 > this.bytes.length) throw new EntryMalformed('entry is truncated');
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.#at, 4).getUint32(0, false);
    this.#at += 4;
    return value;
  }

  uint64(): bigint {
    if (this.#at + 8 > this.bytes.length) throw new EntryMalformed('entry is truncated');
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.#at, 8).getBigUint64(0, false);
    this.#at += 8;
    return value;
  }

  vector(): Uint8Array {
    const length = this.uint8();
    if (this.#at + length > this.bytes.length) throw new EntryMalformed('entry is truncated');
    const value = this.bytes.slice(this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  get done(): boolean {
    return this.#at === this.bytes.length;
  }
}

function decodeText(field: string, bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new EntryMalformed(`${field} is not valid UTF-8`);
  }
}

function decodeDigest(field: string, bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length !== SHA256_SIZE) throw new EntryMalformed(`${field} must be empty or 32 bytes`);
  return bytes;
}

function safeUint64(reader: EntryReader, field: string): number {
  const value = reader.uint64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new EntryMalformed(`${field} is out of range`);
  return Number(value);
}

function decodeRemoval(reader: EntryReader): RemovalFields {
  const groupIdSha256 = reader.vector();
  if (groupIdSha256.length !== SHA256_SIZE) throw new EntryMalformed('group_id_sha256 must be 32 bytes');
  const epoch = safeUint64(reader, 'epoch');
  const leafIndex = reader.uint32();
  const plannedAt = safeUint64(reader, 'planned_at');
  return { groupIdSha256, epoch, leafIndex, plannedAt };
}

function decodeAuditAnchor(reader: EntryReader): AuditAnchorFields {
  const sequence = safeUint64(reader, 'audit_sequence');
  if (sequence < 1) throw new EntryMalformed('audit_sequence must be at least 1');
  const chainHeadSha256 = reader.vector();
  if (chainHeadSha256.length !== SHA256_SIZE) throw new EntryMalformed('chain_head_sha256 must be 32 bytes');
  return { sequence, chainHeadSha256 };
}

/**
 * Decodes a log entry strictly: known version and type (and the version that type is
 * written in), every length in bounds, valid UTF-8, digests of 32 bytes, no trailing bytes.
 * Any accepted input re-encodes to itself.
 */
export function decodeKeyEvent(bytes: Uint8Array): KeyEvent {
  if (!(bytes instanceof Uint8Array)) throw new EntryMalformed('entry must be bytes');
  const reader = new EntryReader(bytes);
  const version = reader.uint8();
  if (version !== ENTRY_VERSION && version !== REMOVAL_ENTRY_VERSION && version !== AUDIT_ANCHOR_ENTRY_VERSION)
    throw new EntryMalformed(`unknown entry version ${version}`);
  const code = reader.uint8();
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) throw new EntryMalformed(`unknown event type ${code}`);
  const isRemoval = REMOVAL_EVENT_TYPES.has(type);
  const isAnchor = type === 'audit_anchor';
  if (isRemoval !== (version === REMOVAL_ENTRY_VERSION) || isAnchor !== (version === AUDIT_ANCHOR_ENTRY_VERSION))
    throw new EntryMalformed(`event type ${type} is not written in entry version ${version}`);
  const timestamp = reader.uint64();
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new EntryMalformed('timestamp is out of range');
  const org = decodeText('org', reader.vector());
  if (org === undefined) throw new EntryMalformed('org is required');
  const account = decodeText('account', reader.vector());
  const device = decodeText('device', reader.vector());
  const certificateSha256 = decodeDigest('certificateSha256', reader.vector());
  const mlsSignatureKeySha256 = decodeDigest('mlsSignatureKeySha256', reader.vector());
  const reason = decodeText('reason', reader.vector());
  const removal = isRemoval ? decodeRemoval(reader) : undefined;
  const auditAnchor = isAnchor ? decodeAuditAnchor(reader) : undefined;
  if (!reader.done) throw new EntryMalformed('entry has trailing bytes');
  return {
    type,
    org,
    ...(account !== undefined && { account }),
    ...(device !== undefined && { device }),
    ...(certificateSha256 !== undefined && { certificateSha256 }),
    ...(mlsSignatureKeySha256 !== undefined && { mlsSignatureKeySha256 }),
    ...(reason !== undefined && { reason }),
    timestamp: Number(timestamp),
    ...(removal !== undefined && { removal }),
    ...(auditAnchor !== undefined && { auditAnchor }),
  };
}
