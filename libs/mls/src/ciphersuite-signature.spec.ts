import { ciphersuites } from 'ts-mls';
import { ciphersuiteSignature, ciphersuiteSignatureByName, SUPPORTED_CIPHERSUITES, webCryptoSignatureParams } from './ciphersuite-signature.js';
import { MlsUnsupportedCiphersuiteError } from './errors.js';

describe('RFC 9420 §17.1 cipher suite signature schemes', () => {
  it('maps the supported suites to their signature keys', () => {
    expect(SUPPORTED_CIPHERSUITES).toEqual([1, 2, 3, 7]);
    expect(ciphersuiteSignature(0x0001)).toMatchObject({ signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519', jwsAlg: 'EdDSA' });
    expect(ciphersuiteSignature(0x0002)).toMatchObject({ signatureScheme: 'ecdsa_secp256r1_sha256', keyAlgorithm: 'P-256', jwsAlg: 'ES256' });
    expect(ciphersuiteSignature(0x0003)).toMatchObject({ signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519', jwsAlg: 'EdDSA' });
    expect(ciphersuiteSignature(0x0007)).toMatchObject({ signatureScheme: 'ecdsa_secp384r1_sha384', keyAlgorithm: 'P-384', jwsAlg: 'ES384' });
  });

  it('names each suite as the registry (and ts-mls) does', () => {
    for (const code of SUPPORTED_CIPHERSUITES) {
      const { name } = ciphersuiteSignature(code);
      expect(ciphersuites[name as keyof typeof ciphersuites]).toBe(code);
      expect(ciphersuiteSignatureByName(name).ciphersuite).toBe(code);
    }
    expect(() => ciphersuiteSignatureByName('MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448')).toThrow(MlsUnsupportedCiphersuiteError);
  });

  it('rejects the Ed448 and P-521 suites and unknown values', () => {
    for (const suite of [0x0004, 0x0005, 0x0006, 0x0000, 0x0008, 0xf000]) {
      expect(() => ciphersuiteSignature(suite)).toThrow(MlsUnsupportedCiphersuiteError);
    }
    expect(() => ciphersuiteSignature(0x0004)).toThrow(/Ed448/);
  });

  it('gives WebCrypto parameters that generate and sign with the suite key', async () => {
    for (const code of SUPPORTED_CIPHERSUITES) {
      const params = webCryptoSignatureParams(ciphersuiteSignature(code).keyAlgorithm);
      const keys = (await globalThis.crypto.subtle.generateKey(params.generate, true, ['sign', 'verify'])) as CryptoKeyPair;
      const signature = await globalThis.crypto.subtle.sign(params.sign, keys.privateKey, new Uint8Array(8));
      expect(await globalThis.crypto.subtle.verify(params.sign, keys.publicKey, signature, new Uint8Array(8))).toBe(true);
    }
  });
});
