import { describePublicKey, profileCiphersuite, requireKeyMatchesCiphersuite } from './ciphersuite.js';
import { CiphersuiteMismatchError, MalformedInputError, UnsupportedCiphersuiteError } from './errors.js';

async function spki(algorithm: Algorithm | EcKeyGenParams): Promise<Uint8Array> {
  const keys = (await globalThis.crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
}

// The table itself is libs/mls' (ciphersuite-signature.spec.ts); this profile reads it.
describe('RFC 9420 §17.1 cipher suite signature schemes under this profile', () => {
  it('maps the supported suites to their signature keys', () => {
    expect(profileCiphersuite(0x0001)).toMatchObject({ signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519' });
    expect(profileCiphersuite(0x0002)).toMatchObject({ signatureScheme: 'ecdsa_secp256r1_sha256', keyAlgorithm: 'P-256' });
    expect(profileCiphersuite(0x0003)).toMatchObject({ signatureScheme: 'ed25519', keyAlgorithm: 'Ed25519' });
    expect(profileCiphersuite(0x0007)).toMatchObject({ signatureScheme: 'ecdsa_secp384r1_sha384', keyAlgorithm: 'P-384' });
  });

  it('rejects the Ed448 and P-521 suites and unknown values', () => {
    for (const suite of [0x0004, 0x0005, 0x0006, 0x0000, 0x0008, 0xf000]) {
      expect(() => profileCiphersuite(suite)).toThrow(UnsupportedCiphersuiteError);
    }
    expect(() => profileCiphersuite(0x0004)).toThrow(/Ed448/);
  });
});

describe('describePublicKey / requireKeyMatchesCiphersuite', () => {
  it('recognises Ed25519, P-256, P-384 and P-521 keys and returns the raw MLS signature key', async () => {
    const ed = await spki({ name: 'Ed25519' });
    expect(describePublicKey(ed)).toEqual({ algorithm: 'Ed25519', rawKey: ed.subarray(ed.length - 32) });
    expect(describePublicKey(await spki({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams)).rawKey).toHaveLength(65);
    expect(describePublicKey(await spki({ name: 'ECDSA', namedCurve: 'P-384' } as EcKeyGenParams)).algorithm).toBe('P-384');
    expect(describePublicKey(await spki({ name: 'ECDSA', namedCurve: 'P-521' } as EcKeyGenParams)).algorithm).toBe('P-521');
  });

  it('requires exactly the key type of the suite', async () => {
    const p521 = await spki({ name: 'ECDSA', namedCurve: 'P-521' } as EcKeyGenParams);
    expect(() => requireKeyMatchesCiphersuite(p521, 0x0002)).toThrow(CiphersuiteMismatchError);
    const rsa = await spki({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: Uint8Array.of(1, 0, 1),
      hash: 'SHA-256',
    } as RsaHashedKeyGenParams);
    expect(() => requireKeyMatchesCiphersuite(rsa, 0x0001)).toThrow(CiphersuiteMismatchError);
    const ed = await spki({ name: 'Ed25519' });
    expect(requireKeyMatchesCiphersuite(ed, 0x0003).algorithm).toBe('Ed25519');
    expect(() => requireKeyMatchesCiphersuite(ed, 0x0007)).toThrow(CiphersuiteMismatchError);
  });

  it('rejects malformed keys', async () => {
    // SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (0 unused bits) of 31 bytes }: one byte short.
    const short = Uint8Array.of(0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x20, 0x00, ...new Uint8Array(31));
    expect(() => describePublicKey(short)).toThrow(MalformedInputError);
    const full = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, ...new Uint8Array(32));
    expect(describePublicKey(full).algorithm).toBe('Ed25519');
    expect(() => describePublicKey(Uint8Array.of(1, 2, 3))).toThrow(MalformedInputError);
    const p256 = await spki({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
    const notUncompressed = p256.slice();
    notUncompressed[p256.length - 65] = 0x05;
    expect(() => describePublicKey(notUncompressed)).toThrow(MalformedInputError);
  });
});
