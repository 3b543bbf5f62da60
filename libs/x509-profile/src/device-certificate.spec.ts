import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import {
  ciphersuiteFor,
  createOrgPki,
  deviceParams,
  generateKeys,
  issueDevice,
  opensslWorkspace,
  spkiOf,
  type OrgPki,
} from './__fixtures__/org-pki.js';
import type { SupportedKeyAlgorithm } from './ciphersuite.js';
import { issueDeviceCertificate, issueServiceCertificate, type DeviceCertificateParams } from './device-certificate.js';
import { CiphersuiteMismatchError, ProfileParameterError } from './errors.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');

function baseParams(pki: OrgPki, spki: Uint8Array, ciphersuite = 0x0001): DeviceCertificateParams {
  return deviceParams(pki, spki, ciphersuite, NOW);
}

describe('issueDeviceCertificate: the device-certificate profile', () => {
  let pki: OrgPki;
  beforeAll(async () => {
    pki = await createOrgPki('acme', 'Ed25519', new Date('2026-01-01T00:00:00Z'));
  });

  it('writes every profile field', async () => {
    const keys = await generateKeys('Ed25519');
    const issued = await issueDeviceCertificate(baseParams(pki, await spkiOf(keys)));
    const cert = new X509Certificate(issued.der);
    const text = cert.toString('text');

    expect(cert.subjectName.getField('CN')).toEqual(['Grace Hopper']);
    expect(cert.subjectName.getField('O')).toEqual(['ACME Corp']);
    expect(cert.issuer).toBe(new X509Certificate(pki.intermediate.der).subject);
    expect(text).toContain('mls-identity://acme/accounts/u-42/devices/laptop-7');
    expect(text).toContain('grace@acme.example');
    const keyUsage = cert.getExtension('2.5.29.15')!;
    expect(keyUsage.critical).toBe(true);
    const basic = cert.getExtension('2.5.29.19')!;
    expect(basic.critical).toBe(true);
    expect(Buffer.from(basic.value).toString('hex')).toBe('3000'); // cA absent = FALSE
    expect(cert.getExtension('2.5.29.14')).not.toBeNull();
    expect(cert.getExtension('2.5.29.35')).not.toBeNull();
    expect(text).toContain('https://id.acme.example/pki/acme/crl/int-1.crl');
    expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(await spkiOf(keys)));

    // 16-byte positive serial: DER INTEGER of exactly 16 octets, high bit clear.
    expect(issued.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(issued.notBefore.toISOString()).toBe('2026-03-01T09:55:00.000Z');
    expect(issued.notAfter.toISOString()).toBe('2026-03-08T10:00:00.000Z');
    expect(issued.sha256).toEqual(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', issued.der)));
  });

  it('draws a fresh random serial for every certificate', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) serials.add((await issueDeviceCertificate(baseParams(pki, spki))).serialNumber);
    expect(serials.size).toBe(20);
  });

  it('takes a configurable lifetime up to 30 days and a skew allowance up to 5 minutes', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const thirty = await issueDeviceCertificate({ ...baseParams(pki, spki), lifetimeSeconds: 30 * 86400, clockSkewSeconds: 60 });
    expect(thirty.notAfter.getTime() - NOW.getTime()).toBe(30 * 86400 * 1000);
    expect(NOW.getTime() - thirty.notBefore.getTime()).toBe(60_000);
    await expect(issueDeviceCertificate({ ...baseParams(pki, spki), lifetimeSeconds: 30 * 86400 + 1 })).rejects.toThrow(ProfileParameterError);
    await expect(issueDeviceCertificate({ ...baseParams(pki, spki), clockSkewSeconds: 301 })).rejects.toThrow(ProfileParameterError);
    await expect(issueDeviceCertificate({ ...baseParams(pki, spki), lifetimeSeconds: 0 })).rejects.toThrow(ProfileParameterError);
  });

  it('never outlives the issuing intermediate', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const intermediateEnd = new X509Certificate(pki.intermediate.der).notAfter;
    const late = new Date(intermediateEnd.getTime() - 86400_000);
    const issued = await issueDeviceCertificate({ ...baseParams(pki, spki), now: late });
    expect(issued.notAfter.getTime()).toBe(intermediateEnd.getTime());
  });

  it('refuses a key that is not the cipher suite signature key', async () => {
    const p256 = await spkiOf(await generateKeys('P-256'));
    await expect(issueDeviceCertificate(baseParams(pki, p256, 0x0001))).rejects.toThrow(CiphersuiteMismatchError);
    const ed = await spkiOf(await generateKeys('Ed25519'));
    await expect(issueDeviceCertificate(baseParams(pki, ed, 0x0007))).rejects.toThrow(CiphersuiteMismatchError);
  });

  it('refuses identities that cannot be written canonically', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const base = baseParams(pki, spki);
    await expect(issueDeviceCertificate({ ...base, account: { ...base.account, id: 'a/b' } })).rejects.toThrow(ProfileParameterError);
    await expect(issueDeviceCertificate({ ...base, device: { id: 'x:1' } })).rejects.toThrow(ProfileParameterError);
    await expect(issueDeviceCertificate({ ...base, account: { ...base.account, email: 'Grace <grace@acme.example>' } })).rejects.toThrow(
      ProfileParameterError,
    );
    await expect(issueDeviceCertificate({ ...base, account: { ...base.account, displayName: '  ' } })).rejects.toThrow(ProfileParameterError);
    await expect(issueDeviceCertificate({ ...base, crlDistributionPoint: 'ldap://x' })).rejects.toThrow(ProfileParameterError);
  });

  it('bounds the common name at 64 characters', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const base = baseParams(pki, spki);
    const issued = await issueDeviceCertificate({ ...base, account: { ...base.account, displayName: 'é'.repeat(100) } });
    expect(new X509Certificate(issued.der).subjectName.getField('CN')[0]).toBe('é'.repeat(64));
  });

  it("refuses an identity outside the issuer's name constraints", async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    await expect(issueDeviceCertificate({ ...baseParams(pki, spki), org: { slug: 'globex', name: 'Globex' } })).rejects.toThrow(
      ProfileParameterError,
    );
  });

  it('refuses an issuer key that does not belong to the issuer certificate', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const stranger = await generateKeys('Ed25519');
    await expect(
      issueDeviceCertificate({ ...baseParams(pki, spki), issuer: { certificate: pki.intermediate.pem, privateKey: stranger.privateKey } }),
    ).rejects.toThrow(ProfileParameterError);
  });

  it('issues the removal service certificate with the service URI and no email', async () => {
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const { account: _a, device: _d, ...rest } = baseParams(pki, spki);
    const issued = await issueServiceCertificate({ ...rest, service: 'removal' });
    const text = new X509Certificate(issued.der).toString('text');
    expect(text).toContain('mls-identity://acme/service/removal');
    expect(text).not.toContain('@');
  });
});

describe('issued chains verify with openssl -x509_strict', () => {
  const cases: [SupportedKeyAlgorithm, SupportedKeyAlgorithm][] = [
    ['Ed25519', 'Ed25519'],
    ['Ed25519', 'P-256'],
    ['Ed25519', 'P-384'],
    ['P-256', 'Ed25519'],
    ['P-256', 'P-256'],
    ['P-256', 'P-384'],
  ];

  it.each(cases)('%s CAs, %s device key', async (caAlgorithm, leafAlgorithm) => {
    const pki = await createOrgPki(`org-${caAlgorithm.toLowerCase()}`, caAlgorithm);
    const { certificate } = await issueDevice(pki, leafAlgorithm);
    const ws = await opensslWorkspace();
    try {
      const root = await ws.write('root.pem', pki.root.pem);
      const inter = await ws.write('inter.pem', pki.intermediate.pem);
      const leaf = await ws.write('leaf.pem', certificate.pem);
      const result = await ws.verify(['-x509_strict', '-CAfile', root, '-untrusted', inter, leaf]);
      expect(result.output).toContain(': OK');
      expect(result.ok).toBe(true);
      expect(ciphersuiteFor(leafAlgorithm)).toBeGreaterThan(0);
    } finally {
      await ws.dispose();
    }
  });

  it('also the removal service certificate', async () => {
    const pki = await createOrgPki('initech');
    const keys = await generateKeys('Ed25519');
    const issued = await issueServiceCertificate({
      org: { slug: pki.slug, name: pki.name },
      service: 'removal',
      ciphersuite: 0x0003,
      subjectPublicKeyInfo: await spkiOf(keys),
      issuer: { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey },
      crlDistributionPoint: 'https://id.initech.example/pki/initech/crl/int.crl',
    });
    const ws = await opensslWorkspace();
    try {
      const result = await ws.verify([
        '-x509_strict',
        '-CAfile',
        await ws.write('root.pem', pki.root.pem),
        '-untrusted',
        await ws.write('inter.pem', pki.intermediate.pem),
        await ws.write('leaf.pem', issued.pem),
      ]);
      expect(result).toEqual({ ok: true, output: expect.stringContaining(': OK') });
    } finally {
      await ws.dispose();
    }
  });
});
