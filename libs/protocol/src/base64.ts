// RFC 4648 base64 (§4) and base64url (§5) over Uint8Array with btoa/atob, which Node and
// browsers both have, so that this lib needs no Buffer. Decoding is strict: atob alone
// would accept whitespace and missing padding.

const STANDARD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Padded standard base64, nothing else; undefined otherwise. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !STANDARD.test(text)) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Base64 in either alphabet (one per value), padding optional. For inputs people paste or
 * tools emit in either form, e.g. a CSR's DER.
 */
export function decodeBase64AnyAlphabet(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) return undefined;
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length % 4 === 1 || (text.length !== unpadded.length && text.length % 4 !== 0)) return undefined;
  const standard = urlSafe ? unpadded.replace(/-/g, '+').replace(/_/g, '/') : unpadded;
  return decodeBase64(standard + '='.repeat((4 - (standard.length % 4)) % 4));
}
