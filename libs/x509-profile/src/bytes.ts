// Byte helpers over Uint8Array so that the profile runs unchanged in Node and browsers (no
// Buffer). base64 goes through btoa/atob, which both have; callers check the alphabet first.

export function sameBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  const x = a instanceof Uint8Array ? a : new Uint8Array(a);
  const y = b instanceof Uint8Array ? b : new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Even-length hex (as the profile's own serials are) to bytes. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('not an even-length hex string');
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

export function encodeBase64(bytes: Uint8Array): string {
  return btoa(latin1(bytes));
}

/** Decodes base64 whose alphabet and padding the caller has already checked. */
export function decodeBase64(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** Bytes as ISO-8859-1 text: one character per byte, as PEM sniffing needs. */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}
