// Node (≥ 20) has WebCrypto on globalThis, and the service, the CLI and the shared libs use
// its types by their web names (CryptoKey, EcdsaParams, …). @types/node 20 declares them only
// inside node:crypto's `webcrypto` namespace; lib.dom is what declares them globally, and it
// is kept out of the Node build (tsconfig.json) so that no other DOM global slips into server
// code. These aliases name exactly Node's WebCrypto types. Browser code (tsconfig.browser.json)
// gets the same names from lib.dom instead and never sees this file.
import type { webcrypto } from 'node:crypto';

declare global {
  type Algorithm = webcrypto.Algorithm;
  type Crypto = webcrypto.Crypto;
  type CryptoKey = webcrypto.CryptoKey;
  type CryptoKeyPair = webcrypto.CryptoKeyPair;
  type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;
  type EcKeyGenParams = webcrypto.EcKeyGenParams;
  type EcKeyImportParams = webcrypto.EcKeyImportParams;
  type EcdsaParams = webcrypto.EcdsaParams;
  type JsonWebKey = webcrypto.JsonWebKey;
  type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
}
