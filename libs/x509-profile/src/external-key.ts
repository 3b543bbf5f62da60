/**
 * Private keys that never leave their custody (a PKCS#11 token, a cloud KMS). WebCrypto can
 * only sign with keys it holds, so such a key is handed to this library as an object shaped
 * like a non-extractable CryptoKey, which says its algorithm, plus a `sign` callback that
 * returns exactly what WebCrypto's `sign` would (an Ed25519 signature, or ECDSA r‖s).
 * Certificate and CRL code signs through `cryptoFor(key)`, which routes `subtle.sign` for
 * such a key to its callback and everything else to the platform's WebCrypto.
 */

export type ExternalKeyAlgorithm = { name: 'Ed25519' } | { name: 'ECDSA'; namedCurve: 'P-256' | 'P-384' };

export type ExternalSign = (data: Uint8Array) => Promise<Uint8Array>;

const externalSigners = new WeakMap<object, ExternalSign>();

/** A signing key held elsewhere, usable wherever this library takes an issuer's CryptoKey. */
export function externalSigningKey(algorithm: ExternalKeyAlgorithm, sign: ExternalSign): CryptoKey {
  const key = Object.freeze({
    algorithm: Object.freeze({ ...algorithm }),
    extractable: false,
    type: 'private',
    usages: Object.freeze(['sign']),
  }) as unknown as CryptoKey;
  externalSigners.set(key, sign);
  return key;
}

export function isExternalSigningKey(key: CryptoKey): boolean {
  return externalSigners.has(key);
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The Crypto to sign with `key`: the platform's own unless the key is an external one. */
export function cryptoFor(key: CryptoKey): Crypto {
  const sign = externalSigners.get(key);
  const platform = globalThis.crypto;
  if (!sign) return platform;
  const subtle = new Proxy(platform.subtle, {
    get(target, property) {
      if (property === 'sign') {
        return async (algorithm: Algorithm, signingKey: CryptoKey, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> => {
          if (signingKey !== key) return target.sign(algorithm, signingKey, data as Uint8Array<ArrayBuffer>);
          const signature = await sign(bytesOf(data));
          return new Uint8Array(signature).buffer;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      // WebCrypto's methods check that `this` is the real SubtleCrypto.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    subtle,
    getRandomValues: platform.getRandomValues.bind(platform),
    randomUUID: platform.randomUUID.bind(platform),
  } as Crypto;
}
