/**
 * RFC 4648 §4 standard base64 with padding, as c2sp.org/signed-note and tlog-checkpoint use.
 * btoa/atob exist in Node and browsers, so this needs no Buffer. atob is lenient (whitespace,
 * missing padding, non-zero pad bits), so decoding here accepts only the one canonical
 * spelling of each byte string.
 */
const CANONICAL_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Returns the decoded bytes, or null when `text` is not canonical base64. */
export function decodeBase64Strict(text: string): Uint8Array | null {
  if (!CANONICAL_SHAPE.test(text)) return null;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (encodeBase64(bytes) !== text) return null;
  return bytes;
}
