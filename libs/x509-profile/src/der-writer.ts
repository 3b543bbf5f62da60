// X.690 DER encoding of the few types the certificate template writes. Lengths are always the
// definite, minimal form DER requires (§10.1); callers pass contents already in DER.

const utf8 = new TextEncoder();

/** Tag-length-value with the minimal definite length. */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const c of contents) length += c.length;
  const header = lengthOctets(length);
  const out = new Uint8Array(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let at = 1 + header.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return [0x80 | octets.length, ...octets];
}

export const sequence = (...contents: readonly Uint8Array[]) => tlv(0x30, ...contents);
export const set = (...contents: readonly Uint8Array[]) => tlv(0x31, ...contents);
export const octetString = (bytes: Uint8Array) => tlv(0x04, bytes);
export const utf8String = (text: string) => tlv(0x0c, utf8.encode(text));
export const contextPrimitive = (n: number, bytes: Uint8Array) => tlv(0x80 | n, bytes);
export const contextConstructed = (n: number, ...contents: readonly Uint8Array[]) => tlv(0xa0 | n, ...contents);
export const DER_TRUE = Uint8Array.of(0x01, 0x01, 0xff);

/** A BIT STRING of whole octets (no unused bits). */
export function bitString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(0x03, Uint8Array.of(0), bytes);
}

/**
 * A non-negative INTEGER from big-endian magnitude octets (§8.3.2): leading zero octets are
 * dropped, and one is put back when the top bit is set, so the value stays positive.
 */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array<ArrayBuffer> {
  let first = 0;
  while (first < magnitude.length - 1 && magnitude[first] === 0) first++;
  const body = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(first);
  return body[0] > 0x7f ? tlv(0x02, Uint8Array.of(0), body) : tlv(0x02, body);
}

/** Object identifier contents in DER (§8.19), from dotted decimal. */
export function objectIdentifier(dotted: string): Uint8Array<ArrayBuffer> {
  const arcs = dotted.split('.').map(Number);
  const content: number[] = [];
  const subidentifiers = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const value of subidentifiers) {
    const septets: number[] = [value & 0x7f];
    for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) septets.unshift(0x80 | (n & 0x7f));
    content.push(...septets);
  }
  return tlv(0x06, Uint8Array.from(content));
}

/**
 * ECDSA-Sig-Value (RFC 5480 §2.2.3, RFC 3279 §2.2.3) from the fixed-width r‖s that WebCrypto
 * and PKCS#11 return: the form X.509 signatures carry.
 */
export function ecdsaSignatureDer(rs: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = rs.length / 2;
  return sequence(unsignedInteger(rs.subarray(0, half)), unsignedInteger(rs.subarray(half)));
}
