// The SDK's one handle on cryptography: WebCrypto, as browsers and Node 20+ expose it on
// globalThis. Tests and unusual runtimes may hand in another implementation.
export function webCrypto(given?: Crypto): Crypto {
  const c = given ?? (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new TypeError('WebCrypto (globalThis.crypto.subtle) is required');
  return c;
}

export async function sha256(data: Uint8Array, crypto?: Crypto): Promise<Uint8Array> {
  return new Uint8Array(await webCrypto(crypto).subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}
