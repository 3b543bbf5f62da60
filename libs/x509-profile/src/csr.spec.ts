import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { deviceCsr, generateKeys, signingParams } from './__fixtures__/org-pki.js';
import type { SupportedKeyAlgorithm } from './ciphersuite.js';
import { checkCertificationRequest } from './csr.js';
import {
  CiphersuiteMismatchError,
  CsrCaRequestedError,
  CsrSignatureInvalidError,
  InputTooLargeError,
  MalformedInputError,
  UnsupportedCiphersuiteError,
  X509ProfileError,
} from './errors.js';

const SUITES: [SupportedKeyAlgorithm, number[]][] = [
  ['Ed25519', [0x0001, 0x0003]],
  ['P-256', [0x0002]],
  ['P-384', [0x0007]],
];

function toPem(der: Uint8Array, label = 'CERTIFICATE REQUEST'): string {
  const lines = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!;
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

describe('checkCertificationRequest', () => {
  it.each(SUITES)('accepts a %s CSR for its cipher suites and returns only the key', async (algorithm, suites) => {
    const keys = await generateKeys(algorithm);
    const csr = await deviceCsr(keys, algorithm, 'CN=admin, O=Evil Corp');
    const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
    for (const ciphersuite of suites) {
      const checked = await checkCertificationRequest(csr, { ciphersuite });
      expect(checked.subjectPublicKeyInfo).toEqual(spki);
      expect(checked.subjectPublicKeyInfoSha256).toEqual(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', spki)));
      expect(checked.keyAlgorithm).toBe(algorithm);
      expect(Object.keys(checked).sort()).toEqual(['keyAlgorithm', 'subjectPublicKeyInfo', 'subjectPublicKeyInfoSha256']);
    }
  });

  it('accepts PEM (RFC 7468 label, CRLF line ends) as well as DER', async () => {
    const keys = await generateKeys('Ed25519');
    const der = await deviceCsr(keys, 'Ed25519');
    await expect(checkCertificationRequest(toPem(der), { ciphersuite: 1 })).resolves.toHaveProperty('keyAlgorithm', 'Ed25519');
    await expect(checkCertificationRequest(toPem(der).replace(/\n/g, '\r\n'), { ciphersuite: 1 })).resolves.toBeDefined();
    await expect(checkCertificationRequest(Buffer.from(toPem(der)), { ciphersuite: 1 })).resolves.toBeDefined();
  });

  it.each([
    ['P-256', 0x0001],
    ['Ed25519', 0x0002],
    ['P-384', 0x0002],
    ['P-256', 0x0007],
  ] as const)('rejects a %s key for cipher suite %i as a cipher suite mismatch', async (algorithm, ciphersuite) => {
    const csr = await deviceCsr(await generateKeys(algorithm), algorithm);
    await expect(checkCertificationRequest(csr, { ciphersuite })).rejects.toThrow(CiphersuiteMismatchError);
  });

  it('rejects cipher suites this profile does not offer', async () => {
    const csr = await deviceCsr(await generateKeys('Ed25519'), 'Ed25519');
    for (const ciphersuite of [0x0004, 0x0005, 0x0006, 0x0000, 0x0008, 0xffff]) {
      await expect(checkCertificationRequest(csr, { ciphersuite })).rejects.toThrow(UnsupportedCiphersuiteError);
    }
  });

  it('rejects a CSR signed by a key other than the one it carries (no proof of possession)', async () => {
    for (const algorithm of ['Ed25519', 'P-256'] as const) {
      const claimed = await generateKeys(algorithm);
      const signer = await generateKeys(algorithm);
      const csr = await Pkcs10CertificateRequestGenerator.create(
        { name: 'CN=x', keys: { publicKey: claimed.publicKey, privateKey: signer.privateKey }, signingAlgorithm: signingParams(algorithm) },
        globalThis.crypto,
      );
      await expect(checkCertificationRequest(new Uint8Array(csr.rawData), { ciphersuite: algorithm === 'Ed25519' ? 1 : 2 })).rejects.toThrow(
        CsrSignatureInvalidError,
      );
    }
  });

  it('rejects a CSR whose signature bytes were tampered with', async () => {
    const csr = await deviceCsr(await generateKeys('Ed25519'), 'Ed25519');
    csr[csr.length - 5] ^= 0x01;
    await expect(checkCertificationRequest(csr, { ciphersuite: 1 })).rejects.toThrow(CsrSignatureInvalidError);
  });

  it('rejects a CSR whose signed content was altered', async () => {
    const csr = await deviceCsr(await generateKeys('P-256'), 'P-256', 'CN=aaaa');
    const at = Buffer.from(csr).indexOf(Buffer.from('aaaa'));
    csr[at] = 'b'.charCodeAt(0);
    await expect(checkCertificationRequest(csr, { ciphersuite: 2 })).rejects.toThrow(CsrSignatureInvalidError);
  });

  it('refuses CA requests', async () => {
    const keys = await generateKeys('Ed25519');
    for (const extension of [new BasicConstraintsExtension(true, 0, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign, true)]) {
      const csr = await Pkcs10CertificateRequestGenerator.create(
        { name: 'CN=ca', keys, signingAlgorithm: { name: 'Ed25519' }, extensions: [extension] },
        globalThis.crypto,
      );
      await expect(checkCertificationRequest(new Uint8Array(csr.rawData), { ciphersuite: 1 })).rejects.toThrow(CsrCaRequestedError);
    }
  });

  it('ignores harmless extensions such as a CA:FALSE request', async () => {
    const keys = await generateKeys('Ed25519');
    const csr = await Pkcs10CertificateRequestGenerator.create(
      { name: 'CN=x', keys, signingAlgorithm: { name: 'Ed25519' }, extensions: [new BasicConstraintsExtension(false)] },
      globalThis.crypto,
    );
    await expect(checkCertificationRequest(new Uint8Array(csr.rawData), { ciphersuite: 1 })).resolves.toBeDefined();
  });

  it('turns malformed input into typed errors', async () => {
    const good = await deviceCsr(await generateKeys('Ed25519'), 'Ed25519');
    const malformed: (Uint8Array | string)[] = [
      new Uint8Array(0),
      Uint8Array.of(0x30),
      Uint8Array.of(0x30, 0x80, 0, 0), // indefinite length (BER, not DER)
      Uint8Array.of(0x30, 0x81, 0x05, 1, 2, 3, 4, 5), // non-minimal length
      good.slice(0, good.length - 1),
      Buffer.concat([good, Uint8Array.of(0)]),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00),
      '',
      'not a csr',
      toPem(good, 'CERTIFICATE'),
      toPem(good).replace('MI', 'M!'),
      toPem(good) + toPem(good),
      `-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----`,
    ];
    for (const input of malformed) {
      await expect(checkCertificationRequest(input, { ciphersuite: 1 })).rejects.toThrow(MalformedInputError);
    }
    await expect(checkCertificationRequest(new Uint8Array(9000).fill(0x30), { ciphersuite: 1 })).rejects.toThrow(InputTooLargeError);
    await expect(checkCertificationRequest('A'.repeat(100_000), { ciphersuite: 1 })).rejects.toThrow(InputTooLargeError);
  });

  it('never throws anything but typed errors on mutated input', async () => {
    const good = await deviceCsr(await generateKeys('P-256'), 'P-256');
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 300; i++) {
      const mutated = good.slice(0, i % 3 === 0 ? random() % good.length : good.length);
      for (let j = 0; j < 3; j++) mutated[random() % mutated.length] = random() & 0xff;
      const outcome = await checkCertificationRequest(mutated, { ciphersuite: 2 }).then(
        () => 'accepted',
        (error: unknown) => error,
      );
      if (outcome !== 'accepted') expect(outcome).toBeInstanceOf(X509ProfileError);
    }
  });
});
