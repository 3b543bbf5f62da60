import { CredentialMalformedError } from './errors.js';

/** RFC 9420 §2.1.2: vector lengths are at most 2^30 − 1 (the 4-byte form). */
export const MAX_VECTOR_LENGTH = 0x3fffffff;

/**
 * Encodes a vector length as an RFC 9420 §2.1.2 variable-length integer: the two high bits of
 * the first byte give the size (00 → 1 byte, 01 → 2, 10 → 4) and the rest is the value, in the
 * shortest form that holds it.
 */
export function encodeVectorLength(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_VECTOR_LENGTH) {
    throw new RangeError(`vector length ${length} cannot be encoded`);
  }
  if (length < 0x40) return Uint8Array.of(length);
  if (length < 0x4000) return Uint8Array.of(0x40 | (length >> 8), length & 0xff);
  return Uint8Array.of(0x80 | (length >>> 24), (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/**
 * Decodes a vector length at `offset`. The prefix 11 is invalid (RFC 9420 §2.1.2), and a length
 * in a longer form than needed is refused, so that each value has exactly one encoding.
 */
export function decodeVectorLength(bytes: Uint8Array, offset: number): { length: number; next: number } {
  if (offset >= bytes.length) {
    throw new CredentialMalformedError('truncated vector length');
  }
  const prefix = bytes[offset] >> 6;
  if (prefix === 3) {
    throw new CredentialMalformedError('vector length prefix 0b11 is invalid');
  }
  const size = 1 << prefix;
  if (offset + size > bytes.length) {
    throw new CredentialMalformedError('truncated vector length');
  }
  let length = bytes[offset] & 0x3f;
  for (let i = 1; i < size; i++) length = length * 256 + bytes[offset + i];
  const minimalSize = length < 0x40 ? 1 : length < 0x4000 ? 2 : 4;
  if (size !== minimalSize) {
    throw new CredentialMalformedError('vector length is not minimally encoded');
  }
  return { length, next: offset + size };
}
