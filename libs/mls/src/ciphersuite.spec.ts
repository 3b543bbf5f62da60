import { SUPPORTED_CIPHERSUITES, ciphersuiteSignature } from './ciphersuite-signature.js';
import { availableCiphersuites, ciphersuiteImpl } from './ciphersuite.js';
import { MlsUnsupportedCiphersuiteError } from './errors.js';

describe('ciphersuiteImpl', () => {
  // a suite whose optional ts-mls peer (such as @hpke/chacha20poly1305 for 0x0003) is missing
  // would be advertised and certified, yet every report and KeyPackage of it would fail
  it.each(SUPPORTED_CIPHERSUITES.map((c) => [ciphersuiteSignature(c).name]))('builds %s, a supported suite, with its HPKE and AEAD', async (name) => {
    const cs = await ciphersuiteImpl(name);
    const pair = await cs.hpke.generateKeyPair();
    const info = new TextEncoder().encode('suite check');
    const sealed = await cs.hpke.seal(pair.publicKey, Uint8Array.of(1, 2, 3), info);
    expect(await cs.hpke.open(pair.privateKey, sealed.enc, sealed.ct, info)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('refuses an unknown suite name with the typed error', async () => {
    await expect(ciphersuiteImpl('MLS_999_NOPE')).rejects.toBeInstanceOf(MlsUnsupportedCiphersuiteError);
  });

  it('finds every supported suite available here', async () => {
    expect(await availableCiphersuites()).toEqual([...SUPPORTED_CIPHERSUITES]);
  });

  it('leaves out a suite whose optional peer is missing, and passes other failures on', async () => {
    const chacha = ciphersuiteSignature(0x0003).name;
    const withoutChacha = async (name: string) => {
      if (name === chacha) throw new MlsUnsupportedCiphersuiteError(`ciphersuite ${name} is not available`);
      return ciphersuiteImpl(name);
    };
    expect(await availableCiphersuites(withoutChacha)).toEqual([0x0001, 0x0002, 0x0007]);
    await expect(availableCiphersuites(() => Promise.reject(new TypeError('bug')))).rejects.toBeInstanceOf(TypeError);
  });
});
