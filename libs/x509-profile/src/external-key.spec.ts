import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { generateKeys, signingParams } from './__fixtures__/org-pki.js';
import { createIntermediateCa, createRootCa } from './ca-certificate.js';
import type { SupportedKeyAlgorithm } from './ciphersuite.js';
import { checkCrl, createCrl } from './crl.js';
import { ProfileParameterError } from './errors.js';
import { cryptoFor, externalSigningKey, isExternalSigningKey, type ExternalKeyAlgorithm } from './external-key.js';

const ALGORITHM: Record<'Ed25519' | 'P-256', ExternalKeyAlgorithm> = {
  Ed25519: { name: 'Ed25519' },
  'P-256': { name: 'ECDSA', namedCurve: 'P-256' },
};

/** Stands in for a token: the CryptoKey stays inside the closure, only `sign` reaches out. */
async function tokenKey(algorithm: 'Ed25519' | 'P-256'): Promise<{ pair: CryptoKeyPair; calls: () => number }> {
  const held = await generateKeys(algorithm as SupportedKeyAlgorithm);
  let calls = 0;
  const privateKey = externalSigningKey(ALGORITHM[algorithm], async (data) => {
    calls++;
    return new Uint8Array(await globalThis.crypto.subtle.sign(signingParams(algorithm as SupportedKeyAlgorithm), held.privateKey, data));
  });
  return { pair: { publicKey: held.publicKey, privateKey }, calls: () => calls };
}

describe('external signing keys', () => {
  it.each(['Ed25519', 'P-256'] as const)('sign %s CA certificates and CRLs through their callback', async (algorithm) => {
    const root = await tokenKey(algorithm);
    const inter = await tokenKey(algorithm);
    expect(isExternalSigningKey(root.pair.privateKey)).toBe(true);
    const rootCa = await createRootCa({ org: { slug: 'acme', name: 'Acme' }, keys: root.pair });
    const interCa = await createIntermediateCa({
      org: { slug: 'acme', name: 'Acme' },
      publicKey: inter.pair.publicKey,
      issuer: { certificate: rootCa.der, privateKey: root.pair.privateKey },
    });
    expect(await new X509Certificate(rootCa.der).isSelfSigned(globalThis.crypto)).toBe(true);
    expect(await new X509Certificate(interCa.der).verify({ publicKey: root.pair.publicKey, signatureOnly: true }, globalThis.crypto)).toBe(true);
    const crl = await createCrl({
      issuer: { certificate: interCa.der, privateKey: inter.pair.privateKey },
      crlNumber: 1,
      entries: [{ serialNumber: '4a01', revocationDate: new Date(), reason: 'keyCompromise' }],
    });
    await expect(checkCrl(crl.der, interCa.der)).resolves.toBeDefined();
    expect(root.calls()).toBe(2);
    expect(inter.calls()).toBe(1);
  });

  it('refuses a certificate signed by a key that is not the issuer certificate’s', async () => {
    const root = await tokenKey('Ed25519');
    const other = await tokenKey('Ed25519');
    const rootCa = await createRootCa({ org: { slug: 'acme', name: 'Acme' }, keys: root.pair });
    await expect(
      createIntermediateCa({
        org: { slug: 'acme', name: 'Acme' },
        publicKey: other.pair.publicKey,
        issuer: { certificate: rootCa.der, privateKey: other.pair.privateKey },
      }),
    ).rejects.toBeInstanceOf(ProfileParameterError);
  });

  it('leaves platform keys to the platform WebCrypto', async () => {
    const plain = await generateKeys('Ed25519');
    expect(cryptoFor(plain.privateKey)).toBe(globalThis.crypto);
    expect(isExternalSigningKey(plain.privateKey)).toBe(false);
  });
});
