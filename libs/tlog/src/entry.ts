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
 */
export const ENTRY_VERSION = 1;

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
  device_expired: 9,
} as const;

export type KeyEventType = keyof typeof KEY_EVENT_TYPES;

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

/** Encodes an event as a log entry (the bytes that are leaf-hashed and put in entry bundles). */
export function encodeKeyEvent(event: KeyEvent): Uint8Array {
  const code = KEY_EVENT_TYPES[event.type];
  if (code === undefined || !Object.hasOwn(KEY_EVENT_TYPES, event.type)) throw new EntryMalformed('unknown event type');
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp < 0) throw new EntryMalformed('timestamp must be a non-negative safe integer');
  const fields = [
    encodeText('org', event.org, true),
    encodeText('account', event.account, false),
    encodeText('device', event.device, false),
    encodeDigest('certificateSha256', event.certificateSha256),
    encodeDigest('mlsSignatureKeySha256', event.mlsSignatureKeySha256),
    encodeText('reason', event.reason, false),
  ];
  const out = new Uint8Array(10 + fields.reduce((n, f) => n + 1 + f.length, 0));
  const view = new DataView(out.buffer);
  out[0] = ENTRY_VERSION;
  out[1] = code;
  view.setBigUint64(2, BigInt(event.timestamp), false);
  let at = 10;
  for (const f of fields) {
    out[at] = f.length;
    out.set(f, at + 1);
    at += 1 + f.length;
  }
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

/**
 * Decodes a log entry strictly: known version and type, every length in bounds, valid
 * UTF-8, digests of 32 bytes, no trailing bytes. Any accepted input re-encodes to itself.
 */
export function decodeKeyEvent(bytes: Uint8Array): KeyEvent {
  if (!(bytes instanceof Uint8Array)) throw new EntryMalformed('entry must be bytes');
  const reader = new EntryReader(bytes);
  const version = reader.uint8();
  if (version !== ENTRY_VERSION) throw new EntryMalformed(`unknown entry version ${version}`);
  const code = reader.uint8();
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) throw new EntryMalformed(`unknown event type ${code}`);
  const timestamp = reader.uint64();
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new EntryMalformed('timestamp is out of range');
  const org = decodeText('org', reader.vector());
  if (org === undefined) throw new EntryMalformed('org is required');
  const account = decodeText('account', reader.vector());
  const device = decodeText('device', reader.vector());
  const certificateSha256 = decodeDigest('certificateSha256', reader.vector());
  const mlsSignatureKeySha256 = decodeDigest('mlsSignatureKeySha256', reader.vector());
  const reason = decodeText('reason', reader.vector());
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
  };
}
