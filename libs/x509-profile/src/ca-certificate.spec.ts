import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints } from '@peculiar/asn1-x509';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createOrgPki, generateKeys, opensslWorkspace } from './__fixtures__/org-pki.js';
import { createIntermediateCa, createRootCa } from './ca-certificate.js';
import { MalformedInputError, ProfileParameterError } from './errors.js';

const run = promisify(execFile);

describe('org CA certificates', () => {
  it.each(['Ed25519', 'P-256'] as const)('%s root and intermediate carry the CA profile', async (algorithm) => {
    const pki = await createOrgPki('acme', algorithm, new Date('2026-01-01T00:00:00Z'));
    const root = new X509Certificate(pki.root.der);
    const inter = new X509Certificate(pki.intermediate.der);

    expect(root.subject).toBe(root.issuer);
    expect(await root.isSelfSigned(globalThis.crypto)).toBe(true);
    const rootBasic = root.getExtension<BasicConstraintsExtension>('2.5.29.19')!;
    expect([rootBasic.ca, rootBasic.pathLength, rootBasic.critical]).toEqual([true, 1, true]);
    const rootUsage = root.getExtension<KeyUsagesExtension>('2.5.29.15')!;
    expect([rootUsage.usages, rootUsage.critical]).toEqual([KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true]);
    expect(root.notAfter.toISOString()).toBe('2035-12-30T00:00:00.000Z');

    expect(inter.issuer).toBe(root.subject);
    const interBasic = inter.getExtension<BasicConstraintsExtension>('2.5.29.19')!;
    expect([interBasic.ca, interBasic.pathLength, interBasic.critical]).toEqual([true, 0, true]);
    expect(inter.getExtension<KeyUsagesExtension>('2.5.29.15')!.usages).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign);
    const nc = inter.getExtension('2.5.29.30')!;
    expect(nc.critical).toBe(true);
    const constraints = AsnConvert.parse(nc.value, NameConstraints);
    expect(constraints.excludedSubtrees).toBeUndefined();
    expect(constraints.permittedSubtrees!.map((s) => s.base.uniformResourceIdentifier)).toEqual(['acme']);
    expect(inter.getExtension('2.5.29.35')).not.toBeNull();

    const ws = await opensslWorkspace();
    try {
      const { stdout } = await run('openssl', ['x509', '-in', await ws.write('inter.pem', pki.intermediate.pem), '-noout', '-text']);
      expect(stdout).toMatch(/X509v3 Name Constraints: critical\s+Permitted:\s+URI:acme/);
      const verified = await ws.verify([
        '-x509_strict',
        '-CAfile',
        await ws.write('root.pem', pki.root.pem),
        await ws.write('i.pem', pki.intermediate.pem),
      ]);
      expect(verified.output).toContain(': OK');
    } finally {
      await ws.dispose();
    }
  });

  it('refuses P-384 or other CA keys and bad org slugs', async () => {
    const keys = await generateKeys('P-384');
    await expect(createRootCa({ org: { slug: 'acme', name: 'Acme' }, keys })).rejects.toThrow(ProfileParameterError);
    const ed = await generateKeys('Ed25519');
    for (const slug of ['Acme', 'ac me', '-acme', 'a'.repeat(64), '']) {
      await expect(createRootCa({ org: { slug, name: 'Acme' }, keys: ed })).rejects.toThrow(ProfileParameterError);
    }
  });

  it('refuses to sign an intermediate with a key that is not a CA or a mismatched key', async () => {
    const pki = await createOrgPki('acme');
    const keys = await generateKeys('Ed25519');
    await expect(
      createIntermediateCa({
        org: { slug: 'acme', name: 'Acme' },
        publicKey: keys.publicKey,
        issuer: { certificate: pki.root.der, privateKey: keys.privateKey },
      }),
    ).rejects.toThrow(ProfileParameterError);
    await expect(
      createIntermediateCa({
        org: { slug: 'acme', name: 'Acme' },
        publicKey: keys.publicKey,
        issuer: { certificate: 'not a certificate', privateKey: pki.rootKeys.privateKey },
      }),
    ).rejects.toThrow(MalformedInputError);
  });

  it('keeps the intermediate inside the root lifetime', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const rootKeys = await generateKeys('Ed25519');
    const root = await createRootCa({ org: { slug: 'acme', name: 'Acme' }, keys: rootKeys, now, lifetimeSeconds: 86400 });
    const inter = await createIntermediateCa({
      org: { slug: 'acme', name: 'Acme' },
      publicKey: (await generateKeys('Ed25519')).publicKey,
      issuer: { certificate: root.pem, privateKey: rootKeys.privateKey },
      now,
    });
    expect(inter.notAfter).toEqual(root.notAfter);
  });
});
