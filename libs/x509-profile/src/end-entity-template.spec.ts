import 'reflect-metadata';
import { X509Certificate, X509CertificateGenerator } from '@peculiar/x509';
import { ciphersuiteFor, createOrgPki, deviceParams, generateKeys, signingParams, spkiOf, type OrgPki } from './__fixtures__/org-pki.js';
import { CA_KEY_ALGORITHMS } from './ca-certificate.js';
import type { SupportedKeyAlgorithm } from './ciphersuite.js';
import { readChildren, readElement } from './der-reader.js';
import { ecdsaSignatureDer } from './der-writer.js';
import { issueDeviceCertificate, issueServiceCertificate, type DeviceCertificateParams } from './device-certificate.js';
import { EndEntityTemplate, type TbsSigner } from './end-entity-template.js';
import { X509ProfileError } from './errors.js';
import type { IssuedCertificate } from './certificate-issuer.js';

// The template must write exactly what the @peculiar/x509 reference writes. Ed25519 issuers
// sign deterministically, so whole certificates are compared; ECDSA signatures are randomized,
// so for P-256 issuers the TBSCertificate and signature algorithm are compared and the
// template's signature is verified.

const DEVICE_KEYS: readonly SupportedKeyAlgorithm[] = ['Ed25519', 'P-256', 'P-384'];

function webCryptoSigner(pki: OrgPki, algorithm: SupportedKeyAlgorithm): TbsSigner {
  return async (tbs) => {
    const raw = new Uint8Array(await globalThis.crypto.subtle.sign(signingParams(algorithm), pki.intermediateKeys.privateKey, new Uint8Array(tbs)));
    return algorithm === 'Ed25519' ? raw : ecdsaSignatureDer(raw);
  };
}

/** TBSCertificate and signatureAlgorithm bytes of a certificate. */
function parts(der: Uint8Array): { tbs: Uint8Array; signatureAlgorithm: Uint8Array } {
  const outer = readElement(der, 0)!;
  const [tbs, signatureAlgorithm] = readChildren(der, outer)!;
  return { tbs: der.slice(tbs.start, tbs.end), signatureAlgorithm: der.slice(signatureAlgorithm.start, signatureAlgorithm.end) };
}

function serialOf(issued: IssuedCertificate): string {
  return issued.serialNumber;
}

async function expectSame(
  pki: OrgPki,
  caAlgorithm: SupportedKeyAlgorithm,
  reference: IssuedCertificate,
  fromTemplate: IssuedCertificate,
): Promise<void> {
  expect(fromTemplate.serialNumber).toBe(reference.serialNumber);
  expect(fromTemplate.notBefore).toEqual(reference.notBefore);
  expect(fromTemplate.notAfter).toEqual(reference.notAfter);
  if (caAlgorithm === 'Ed25519') {
    expect(Buffer.from(fromTemplate.der).toString('hex')).toBe(Buffer.from(reference.der).toString('hex'));
    expect(fromTemplate.pem).toBe(reference.pem);
    expect(fromTemplate.sha256).toEqual(reference.sha256);
  } else {
    const a = parts(reference.der);
    const b = parts(fromTemplate.der);
    expect(Buffer.from(b.tbs).toString('hex')).toBe(Buffer.from(a.tbs).toString('hex'));
    expect(b.signatureAlgorithm).toEqual(a.signatureAlgorithm);
  }
  const certificate = new X509Certificate(fromTemplate.der);
  const intermediate = new X509Certificate(pki.intermediate.der);
  expect(await certificate.verify({ publicKey: intermediate.publicKey, signatureOnly: true }, globalThis.crypto)).toBe(true);
}

describe.each(CA_KEY_ALGORITHMS)('EndEntityTemplate with a %s issuer: the reference profile, byte for byte', (caAlgorithm) => {
  let pki: OrgPki;
  let template: EndEntityTemplate;
  let signer: TbsSigner;
  const NOW = new Date('2026-03-01T10:00:07.000Z');
  beforeAll(async () => {
    pki = await createOrgPki('acme', caAlgorithm, new Date('2026-01-01T00:00:00Z'));
    const issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
    template = new EndEntityTemplate(issuer);
    signer = webCryptoSigner(pki, caAlgorithm);
  });

  function params(spki: Uint8Array, ciphersuite: number, overrides: Partial<DeviceCertificateParams> = {}): DeviceCertificateParams {
    return { ...deviceParams(pki, spki, ciphersuite, NOW), ...overrides };
  }

  async function compareDevice(keyAlgorithm: SupportedKeyAlgorithm, overrides: Partial<DeviceCertificateParams> = {}): Promise<void> {
    const spki = await spkiOf(await generateKeys(keyAlgorithm));
    const p = params(spki, ciphersuiteFor(keyAlgorithm), overrides);
    const reference = await issueDeviceCertificate(p);
    const issued = await template.sign(template.device({ ...p, serialNumber: serialOf(reference) }), signer);
    await expectSame(pki, caAlgorithm, reference, issued);
  }

  it.each(DEVICE_KEYS)('device certificate for a %s key (URI and email SAN)', async (keyAlgorithm) => {
    await compareDevice(keyAlgorithm);
  });

  it.each(DEVICE_KEYS)('service certificate for a %s key (URI SAN only, no email)', async (keyAlgorithm) => {
    const spki = await spkiOf(await generateKeys(keyAlgorithm));
    const p = { ...params(spki, ciphersuiteFor(keyAlgorithm)), service: 'removal' as const, lifetimeSeconds: 30 * 86400 };
    const reference = await issueServiceCertificate(p);
    const issued = await template.sign(template.service({ ...p, serialNumber: reference.serialNumber }), signer);
    await expectSame(pki, caAlgorithm, reference, issued);
  });

  it('names longer than 64 characters, cut without splitting a surrogate pair, and other lengths around 127/128 octets', async () => {
    const long = `${'x'.repeat(63)}😀tail`;
    await compareDevice('Ed25519', {
      account: { id: 'a'.repeat(36), displayName: long, email: 'grace@acme.example' },
      org: { slug: 'acme', name: 'Ü'.repeat(80) },
    });
    await compareDevice('P-256', { account: { id: 'u', displayName: '  padded  ', email: `${'l'.repeat(64)}@${'d'.repeat(60)}.example` } });
    await compareDevice('Ed25519', { account: { id: 'u', displayName: 'x'.repeat(40), email: 'a@b.co' } });
  });

  it('unicode names (CJK, combining marks, RTL, emoji) as UTF8String', async () => {
    await compareDevice('Ed25519', { account: { id: 'u-7', displayName: '山田 太郎 é ÿ שלום 👩‍💻', email: 'taro@acme.example' } });
  });

  it('custom CRL URLs, lifetimes and clock-skew allowances', async () => {
    await compareDevice('P-384', { crlDistributionPoint: `http://crl.example/${'p'.repeat(200)}.crl`, lifetimeSeconds: 60, clockSkewSeconds: 0 });
    await compareDevice('Ed25519', { lifetimeSeconds: 30 * 86400, clockSkewSeconds: 300 });
  });

  it('refuses what the reference refuses, with the same error', async () => {
    const ed = await spkiOf(await generateKeys('Ed25519'));
    const bad: Partial<DeviceCertificateParams>[] = [
      { ciphersuite: 2 },
      { ciphersuite: 4 },
      { account: { id: 'u', displayName: 'G', email: 'not-an-email' } },
      { account: { id: 'u', displayName: '   ', email: 'g@acme.example' } },
      { account: { id: 'u', displayName: 'lone \ud800 surrogate', email: 'g@acme.example' } },
      { org: { slug: 'acme', name: 'Acme \udfff' } },
      { org: { slug: 'other', name: 'Other' } },
      { lifetimeSeconds: 31 * 86400 },
      { clockSkewSeconds: 301 },
      { crlDistributionPoint: 'ftp://x/y.crl' },
      { crlDistributionPoint: 'https://id.acme.example/pki/é.crl' },
      { crlDistributionPoint: 'https://id.acme.example/pki/a b.crl' },
      { now: new Date('2040-01-01T00:00:00Z') },
      { subjectPublicKeyInfo: ed.slice(0, 20) },
    ];
    for (const override of bad) {
      const p = params(ed, 1, override);
      const reference = await issueDeviceCertificate(p).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(reference).toBeInstanceOf(X509ProfileError);
      let error: unknown;
      try {
        template.device(p);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf((reference as object).constructor as new () => unknown);
      expect((error as Error).message).toBe((reference as Error).message);
    }
  });
});

describe('EndEntityTemplate validity across the 2050 UTCTime/GeneralizedTime boundary (RFC 5280 §4.1.2.5)', () => {
  it.each([
    ['both before 2050', '2049-12-20T08:00:00Z', [0x17, 0x17]],
    ['notAfter in 2050', '2049-12-28T23:59:59Z', [0x17, 0x18]],
    ['notBefore exactly at 2050', '2050-01-01T00:05:00Z', [0x18, 0x18]],
    ['both after 2050', '2050-02-01T00:00:00Z', [0x18, 0x18]],
  ])('%s', async (_label, at, tags) => {
    const pki = await createOrgPki('acme', 'Ed25519', new Date('2049-12-01T00:00:00Z'));
    const issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
    const template = new EndEntityTemplate(issuer);
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const p: DeviceCertificateParams = {
      org: { slug: pki.slug, name: pki.name },
      account: { id: 'u', displayName: 'Ada', email: 'ada@acme.example' },
      device: { id: 'd' },
      ciphersuite: 1,
      subjectPublicKeyInfo: spki,
      issuer,
      crlDistributionPoint: 'https://id.acme.example/crl.crl',
      now: new Date(at),
    };
    const reference = await issueDeviceCertificate(p);
    const issued = await template.sign(template.device({ ...p, serialNumber: reference.serialNumber }), webCryptoSigner(pki, 'Ed25519'));
    expect(Buffer.from(issued.der).toString('hex')).toBe(Buffer.from(reference.der).toString('hex'));
    const { tbs } = parts(issued.der);
    const validity = readChildren(tbs, readElement(tbs, 0)!)![4];
    expect(readChildren(tbs, validity)!.map((time) => time.tag)).toEqual(tags);
  });
});

describe('EndEntityTemplate serial numbers (RFC 5280 §4.1.2.2, X.690 §8.3)', () => {
  it.each([
    '80',
    '8000000000000000000000000000000f',
    'ff',
    '00ff',
    '0000007f',
    '7f',
    '01',
    '4aa5',
    '00000000000000000000000000000080',
    '7fffffffffffffffffffffffffffffffffffffff',
  ])('serial %s encodes as the reference generator encodes it', async (serial) => {
    const pki = await createOrgPki('acme', 'Ed25519', new Date('2026-01-01T00:00:00Z'));
    const issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
    const template = new EndEntityTemplate(issuer);
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const unsigned = template.device({
      org: { slug: 'acme', name: pki.name },
      account: { id: 'u', displayName: 'Ada', email: 'ada@acme.example' },
      device: { id: 'd' },
      ciphersuite: 1,
      subjectPublicKeyInfo: spki,
      crlDistributionPoint: 'https://id.acme.example/crl.crl',
      now: new Date('2026-02-01T00:00:00Z'),
      serialNumber: serial,
    });
    const keys = await generateKeys('Ed25519');
    const reference = await X509CertificateGenerator.create(
      {
        serialNumber: serial,
        subject: 'CN=x',
        issuer: 'CN=x',
        notBefore: new Date(0),
        notAfter: new Date(1000),
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: { name: 'Ed25519' },
      },
      globalThis.crypto,
    );
    const ours = parts((await template.sign(unsigned, webCryptoSigner(pki, 'Ed25519'))).der).tbs;
    const theirs = parts(new Uint8Array(reference.rawData)).tbs;
    const serialElement = (der: Uint8Array) => {
      const tbs = readElement(der, 0)!;
      const [, serialNumber] = readChildren(der, tbs)!;
      return Buffer.from(der.subarray(serialNumber.start, serialNumber.end)).toString('hex');
    };
    expect(serialElement(ours)).toBe(serialElement(theirs));
    expect(unsigned.serialNumber).toBe(reference.serialNumber.toLowerCase());
  });
});

describe("EndEntityTemplate under an intermediate's rfc822Name constraints (RFC 5280 §4.2.1.10)", () => {
  it('certifies an email in a permitted domain byte for byte, and refuses one outside, as the reference does', async () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const pki = await createOrgPki('acme', 'Ed25519', new Date('2026-01-01T00:00:00Z'), ['acme.example']);
    const issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
    const template = new EndEntityTemplate(issuer);
    const spki = await spkiOf(await generateKeys('Ed25519'));
    const p = (email: string): DeviceCertificateParams => ({
      org: { slug: pki.slug, name: pki.name },
      account: { id: 'u', displayName: 'Ada', email },
      device: { id: 'd' },
      ciphersuite: 1,
      subjectPublicKeyInfo: spki,
      issuer,
      crlDistributionPoint: 'https://id.acme.example/crl.crl',
      now,
    });
    const inside = p('ada@acme.example');
    const reference = await issueDeviceCertificate(inside);
    const issued = await template.sign(template.device({ ...inside, serialNumber: reference.serialNumber }), webCryptoSigner(pki, 'Ed25519'));
    expect(Buffer.from(issued.der).toString('hex')).toBe(Buffer.from(reference.der).toString('hex'));
    for (const email of ['mallory@evil.test', 'mallory@mail.acme.example']) {
      const referenceError = await issueDeviceCertificate(p(email)).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(referenceError?.message).toMatch(/name constraints forbid/);
      expect(() => template.device(p(email))).toThrow(referenceError!.message);
    }
  });
});
