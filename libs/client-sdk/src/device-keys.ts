// The device's MLS signature key pair (RFC 9420 §5.1.2): generated with WebCrypto, certified
// by the org CA (its public key IS the leaf certificate key), and handed to ts-mls as raw bytes.
import { decodeBase64 } from './base64.js';
import { ciphersuiteKeyParams } from './ciphersuite.js';
import { StoredStateMalformed } from './errors.js';
import { webCrypto } from './web-crypto.js';

export interface DeviceKeys {
  readonly ciphersuite: number;
  readonly keyPair: CryptoKeyPair;
  /** DER SubjectPublicKeyInfo of the public key (what the CSR carries). */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** The MLS `signature_key`: raw Ed25519 key or uncompressed EC point. */
  readonly signaturePublicKey: Uint8Array;
}

/** The key pair in the form ts-mls signs with (`signaturePrivateKey` / `signKey`) and publishes. */
export interface MlsSignatureKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface GenerateDeviceKeysOptions {
  /**
   * Default true: ts-mls signs with raw private key bytes, so the key must be exportable
   * for MLS use. Pass false for a key that only authenticates requests to the service.
   */
  extractable?: boolean;
  crypto?: Crypto;
}

async function describe(ciphersuite: number, keyPair: CryptoKeyPair, crypto: Crypto): Promise<DeviceKeys> {
  const [spki, raw] = await Promise.all([crypto.subtle.exportKey('spki', keyPair.publicKey), crypto.subtle.exportKey('raw', keyPair.publicKey)]);
  return { ciphersuite, keyPair, subjectPublicKeyInfo: new Uint8Array(spki), signaturePublicKey: new Uint8Array(raw) };
}

export async function generateDeviceKeys(ciphersuite: number, options: GenerateDeviceKeysOptions = {}): Promise<DeviceKeys> {
  const crypto = webCrypto(options.crypto);
  const params = ciphersuiteKeyParams(ciphersuite);
  const keyPair = (await crypto.subtle.generateKey(params.generate, options.extractable ?? true, ['sign', 'verify'])) as CryptoKeyPair;
  return describe(ciphersuite, keyPair, crypto);
}

const base64UrlToBytes = (s: string) =>
  decodeBase64(
    s
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(s.length / 4) * 4, '='),
    'JWK member',
  );

/** ts-mls's signature key format: the raw private key (Ed25519 seed or EC scalar) and the raw public key. */
export async function exportMlsSignatureKeyPair(keys: DeviceKeys, options: { crypto?: Crypto } = {}): Promise<MlsSignatureKeyPair> {
  const jwk = await webCrypto(options.crypto).subtle.exportKey('jwk', keys.keyPair.privateKey);
  if (typeof jwk.d !== 'string') throw new StoredStateMalformed('the private key did not export its private part');
  return { publicKey: keys.signaturePublicKey, privateKey: base64UrlToBytes(jwk.d) };
}

/** What to store to use the device again after a restart (secret: keep it in the platform's key store). */
export interface StoredDeviceKeys {
  readonly ciphersuite: number;
  readonly privateJwk: JsonWebKey;
}

export async function exportDeviceKeys(keys: DeviceKeys, options: { crypto?: Crypto } = {}): Promise<StoredDeviceKeys> {
  return { ciphersuite: keys.ciphersuite, privateJwk: await webCrypto(options.crypto).subtle.exportKey('jwk', keys.keyPair.privateKey) };
}

export async function importDeviceKeys(stored: StoredDeviceKeys, options: GenerateDeviceKeysOptions = {}): Promise<DeviceKeys> {
  const crypto = webCrypto(options.crypto);
  const params = ciphersuiteKeyParams(stored.ciphersuite);
  const { d, key_ops: _ops, ...publicJwk } = stored.privateJwk ?? {};
  if (typeof d !== 'string') throw new StoredStateMalformed('stored device key has no private part');
  try {
    const [privateKey, publicKey] = await Promise.all([
      crypto.subtle.importKey('jwk', stored.privateJwk, params.importParams, options.extractable ?? true, ['sign']),
      crypto.subtle.importKey('jwk', publicJwk, params.importParams, true, ['verify']),
    ]);
    return describe(stored.ciphersuite, { privateKey, publicKey }, crypto);
  } catch (cause) {
    throw new StoredStateMalformed(`stored device key is not a cipher suite ${stored.ciphersuite} key`, { cause });
  }
}
