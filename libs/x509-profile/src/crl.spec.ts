import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { X509Crl } from '@peculiar/x509';
import { createOrgPki, issueDevice, opensslWorkspace, type OrgPki } from './__fixtures__/org-pki.js';
import { checkCrl, createCrl, REVOCATION_REASON_CODES, type RevocationReason } from './crl.js';
import { CrlValidationError, ProfileParameterError, type CrlFailureReason } from './errors.js';

const T0 = new Date('2026-01-01T00:00:00Z');

async function expectCrlReason(promise: Promise<unknown>, reason: CrlFailureReason): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CrlValidationError);
  expect((error as CrlValidationError).reason).toBe(reason);
}

describe('createCrl / checkCrl', () => {
  let pki: OrgPki;
  let issuer: { certificate: Uint8Array<ArrayBuffer>; privateKey: CryptoKey };
  beforeAll(async () => {
    pki = await createOrgPki('acme', 'P-256', T0);
    issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
  });

  it('writes a v2 CRL with CRL number, AKI, update times and RFC 5280 reason codes', async () => {
    const reasons = Object.keys(REVOCATION_REASON_CODES).filter((r) => r !== 'removeFromCRL') as RevocationReason[];
    const entries = reasons.map((reason, i) => ({
      serialNumber: `4${i.toString(16)}${'ab'.repeat(15)}`,
      revocationDate: new Date(T0.getTime() + i * 1000),
      reason,
    }));
    const crl = await createCrl({ issuer, crlNumber: 42, thisUpdate: T0, nextUpdate: new Date('2026-01-01T01:00:00Z'), entries });
    const parsed = new X509Crl(crl.der);
    expect(parsed.version).toBe(1); // v2
    expect(parsed.thisUpdate).toEqual(T0);
    expect(parsed.nextUpdate).toEqual(new Date('2026-01-01T01:00:00Z'));
    expect(parsed.getExtension('2.5.29.35')).not.toBeNull();
    expect(crl.pem).toMatch(/^-----BEGIN X509 CRL-----\n/);
    // RFC 5280 §5.3.1: no reasonCode for "unspecified", and then no (empty) crlEntryExtensions at all.
    const asn = AsnConvert.parse(crl.der, CertificateList);
    expect(asn.tbsCertList.revokedCertificates![0].crlEntryExtensions).toBeUndefined();
    expect(parsed.entries[0].extensions).toHaveLength(0);
    expect(parsed.entries[1].reason).toBe(1);

    const checked = await checkCrl(crl.pem, pki.intermediate.der, new Date('2026-01-01T00:30:00Z'));
    expect(checked.crlNumber).toBe(42);
    for (const entry of entries) {
      expect(checked.revocationOf(entry.serialNumber.toUpperCase())).toEqual(entry);
    }
    expect(checked.revocationOf('01')).toBeUndefined();

    const ws = await opensslWorkspace();
    try {
      const file = await ws.write('int.crl', crl.pem);
      const { execFile } = await import('node:child_process');
      const text = await new Promise<string>((resolve, reject) =>
        execFile('openssl', ['crl', '-in', file, '-noout', '-text'], (error, stdout) => (error ? reject(error) : resolve(stdout))),
      );
      expect(text).toContain('X509v3 CRL Number');
      expect(text).toMatch(/42/);
      expect(text).toContain('Key Compromise');
      expect(text).toContain('Privilege Withdrawn');
      expect(text).toContain('Next Update: Jan  1 01:00:00 2026 GMT');
    } finally {
      await ws.dispose();
    }
  });

  it('omits revokedCertificates when nothing is revoked', async () => {
    const crl = await createCrl({ issuer, crlNumber: 1, thisUpdate: T0, entries: [] });
    expect(AsnConvert.parse(crl.der, CertificateList).tbsCertList.revokedCertificates).toBeUndefined();
    expect((await checkCrl(crl.der, pki.intermediate.der, T0)).crlNumber).toBe(1);
  });

  it('refuses entries a complete CRL cannot hold', async () => {
    const serialNumber = '4'.padEnd(32, '1');
    await expect(createCrl({ issuer, crlNumber: 1, entries: [{ serialNumber, revocationDate: T0, reason: 'removeFromCRL' }] })).rejects.toThrow(
      ProfileParameterError,
    );
    const twice = { serialNumber, revocationDate: T0, reason: 'superseded' as const };
    await expect(createCrl({ issuer, crlNumber: 1, entries: [twice, twice] })).rejects.toThrow(ProfileParameterError);
    await expect(createCrl({ issuer, crlNumber: -1, entries: [] })).rejects.toThrow(ProfileParameterError);
    await expect(createCrl({ issuer, crlNumber: 1, thisUpdate: T0, nextUpdate: T0, entries: [] })).rejects.toThrow(ProfileParameterError);
  });

  it('rejects a CRL from another CA, with a bad signature, stale or not yet valid', async () => {
    const crl = await createCrl({ issuer, crlNumber: 1, thisUpdate: T0, entries: [] });
    await expectCrlReason(checkCrl(crl.der, pki.root.der, T0), 'issuer_mismatch');
    const other = await createOrgPki('globex', 'Ed25519', T0);
    await expectCrlReason(checkCrl(crl.der, other.intermediate.der, T0), 'issuer_mismatch');
    const tampered = crl.der.slice();
    tampered[tampered.length - 3] ^= 1;
    await expectCrlReason(checkCrl(tampered, pki.intermediate.der, T0), 'bad_signature');
    await expectCrlReason(checkCrl(crl.der, pki.intermediate.der, new Date('2026-01-02T00:00:01Z')), 'stale');
    await expectCrlReason(checkCrl(crl.der, pki.intermediate.der, new Date('2025-12-31T23:59:59Z')), 'not_yet_valid');
    await expectCrlReason(checkCrl(Uint8Array.of(0x30, 0x01, 0x00), pki.intermediate.der, T0), 'malformed');
    await expectCrlReason(checkCrl('-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----', pki.intermediate.der, T0), 'malformed');
  });
});

describe('CertificateList framing', () => {
  it('is the DER the ASN.1 library would write, for small and long (multi-octet length) CRLs', async () => {
    const pki = await createOrgPki('framing');
    const issuer = { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey };
    for (const n of [0, 1, 300]) {
      const entries = Array.from({ length: n }, (_, i) => ({
        serialNumber: (0x4000 + i).toString(16).padStart(32, '4'),
        revocationDate: new Date('2026-01-01T00:00:00Z'),
        reason: 'keyCompromise' as const,
      }));
      const crl = await createCrl({ issuer, crlNumber: n + 1, entries });
      const reencoded = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(crl.der, CertificateList)));
      expect(Buffer.from(reencoded).equals(Buffer.from(crl.der))).toBe(true);
      expect(new X509Crl(crl.der).entries).toHaveLength(n);
    }
  });
});

describe('openssl -crl_check_all with the CRLs of every level', () => {
  it.each(['Ed25519', 'P-256'] as const)('reports a revoked %s-CA device certificate as revoked', async (caAlgorithm) => {
    const now = new Date();
    const pki = await createOrgPki(`crl-${caAlgorithm.toLowerCase()}`, caAlgorithm, new Date(now.getTime() - 3600_000));
    const { certificate } = await issueDevice(pki, 'P-384');
    const rootCrl = await createCrl({
      issuer: { certificate: pki.root.der, privateKey: pki.rootKeys.privateKey },
      crlNumber: 1,
      entries: [],
    });
    const before = await createCrl({
      issuer: { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey },
      crlNumber: 1,
      entries: [],
    });
    const after = await createCrl({
      issuer: { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey },
      crlNumber: 2,
      entries: [{ serialNumber: certificate.serialNumber, revocationDate: new Date(), reason: 'affiliationChanged' }],
    });
    const ws = await opensslWorkspace();
    try {
      const root = await ws.write('root.pem', pki.root.pem);
      const inter = await ws.write('inter.pem', pki.intermediate.pem);
      const leaf = await ws.write('leaf.pem', certificate.pem);
      const rootCrlFile = await ws.write('root.crl', rootCrl.pem);
      const args = ['-x509_strict', '-crl_check_all', '-CAfile', root, '-untrusted', inter, '-CRLfile', rootCrlFile];

      const good = await ws.verify([...args, '-CRLfile', await ws.write('before.crl', before.pem), leaf]);
      expect(good.output).toContain(': OK');
      expect(good.ok).toBe(true);

      const revoked = await ws.verify([...args, '-CRLfile', await ws.write('after.crl', after.pem), leaf]);
      expect(revoked.ok).toBe(false);
      expect(revoked.output).toContain('certificate revoked');
    } finally {
      await ws.dispose();
    }
  });
});
