/**
 * RFC 4648 §4 standard base64 with padding, as c2sp.org/signed-note and tlog-checkpoint use.
 * Node's decoder is lenient (skips junk, accepts missing padding and non-zero pad bits), so
 * decoding here accepts only the one canonical spelling of each byte string.
 */
const CANONICAL_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Returns the decoded bytes, or null when `text` is not canonical base64. */
export function decodeBase64Strict(text: string): Uint8Array | null {
  if (!CANONICAL_SHAPE.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return null;
  return new Uint8Array(bytes);
}
