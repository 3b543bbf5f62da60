// RFC 9420 §2.1: the TLS presentation language with MLS variable-size vectors (§2.1.2).
// Only what the glue encodes itself (external_senders, x509 Credential) lives here; every other
// structure is encoded by ts-mls. The reader is strict because these bytes come from others:
// lengths must use the minimum varint size (§2.1.2) and 8-byte lengths are invalid.
import { MlsDecodeError, MlsInvalidArgumentError } from './errors.js';

const MAX_VARINT_LENGTH = 0x3fffffff;

/** §2.1.2 length prefix: the shortest of the 1-, 2- or 4-byte forms. */
export function encodeVarintLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_VARINT_LENGTH) {
    throw new MlsInvalidArgumentError(`vector length ${length} cannot be encoded`);
  }
  if (length < 0x40) return Uint8Array.of(length);
  if (length < 0x4000) return Uint8Array.of(0x40 | (length >> 8), length & 0xff);
  return Uint8Array.of(0x80 | (length >>> 24), (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `opaque data<V>` or a vector whose elements are already encoded and concatenated. */
export function encodeVector(body: Uint8Array): Uint8Array {
  return concatBytes([encodeVarintLength(body.length), body]);
}

export function encodeUint16(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new MlsInvalidArgumentError(`${value} is not a uint16`);
  }
  return Uint8Array.of(value >> 8, value & 0xff);
}

/** Cursor over untrusted bytes; every failure is an MlsDecodeError naming `structure`. */
export class PresentationReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly structure: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(message: string): never {
    throw new MlsDecodeError(this.structure, `${message} at byte ${this.offset}`);
  }

  uint16(): number {
    if (this.remaining < 2) this.fail('truncated uint16');
    const value = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return value;
  }

  /** §2.1.2 varint length prefix, rejecting non-minimal and 8-byte forms. */
  varintLength(): number {
    if (this.remaining < 1) this.fail('truncated vector length');
    const first = this.bytes[this.offset]!;
    const prefix = first >> 6;
    if (prefix === 3) this.fail('8-byte vector length is invalid in MLS');
    const size = 1 << prefix;
    if (this.remaining < size) this.fail('truncated vector length');
    let length = first & 0x3f;
    for (let i = 1; i < size; i++) length = length * 256 + this.bytes[this.offset + i]!;
    const minimal = length < 0x40 ? 1 : length < 0x4000 ? 2 : 4;
    if (size !== minimal) this.fail('vector length not minimally encoded');
    this.offset += size;
    return length;
  }

  /** `opaque data<V>`: returns a copy so callers never alias the untrusted buffer. */
  vector(): Uint8Array {
    const length = this.varintLength();
    if (this.remaining < length) this.fail(`vector of ${length} bytes overruns the input`);
    const body = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return body;
  }

  /** A vector of structures: `read` is called on a sub-reader until the body is consumed. */
  vectorOf<T>(read: (r: PresentationReader) => T): T[] {
    const body = new PresentationReader(this.vector(), this.structure);
    const items: T[] = [];
    while (body.remaining > 0) items.push(read(body));
    return items;
  }

  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} trailing bytes`);
  }
}
