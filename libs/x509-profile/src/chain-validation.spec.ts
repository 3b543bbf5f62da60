import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints } from '@peculiar/asn1-x509';
import {
  BasicConstraintsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonGeneralNames,
} from '@peculiar/x509';
import { createOrgPki, generateKeys, issueDevice, opensslWorkspace, type OrgPki } from './__fixtures__/org-pki.js';
import { createIntermediateCa } from './ca-certificate.js';
import { validateChain, type ChainValidationOptions } from './chain-validation.js';
import { createCrl } from './crl.js';
import { ChainValidationError, ProfileParameterError, type ChainFailureReason } from './errors.js';
import { identityOf } from './client-identity.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const NOW = new Date('2026-01-02T00:00:00Z');

async function failureOf(promise: Promise<unknown>): Promise<ChainValidationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ChainValidationError);
    return error as ChainValidationError;
  }
  throw new Error('expected the chain to be rejected');
}

async function expectReason(promise: Promise<unknown>, reason: ChainFailureReason): Promise<ChainValidationError> {
  const error = await failureOf(promise);
  expect(error.reason).toBe(reason);
  expect(error.code).toBe('ERR_X509_CHAIN_INVALID');
  return error;
}

/** A leaf signed by the org intermediate but built by hand, to break one profile rule at a time. */
async function craftLeaf(
  pki: OrgPki,
  options: { san?: JsonGeneralNames; keyUsage?: Extension | null; basic?: Extension; extra?: Extension[]; signer?: CryptoKey } = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const keys = await generateKeys('Ed25519');
  const intermediate = new X509Certificate(pki.intermediate.der);
  const extensions: Extension[] = [
    options.basic ?? new BasicConstraintsExtension(false, undefined, true),
    await SubjectKeyIdentifierExtension.create(keys.publicKey, false, globalThis.crypto),
    intermediate.getExtension('2.5.29.14') ? new Extension('2.5.29.35', false, akiValue(intermediate)) : [],
    new SubjectAlternativeNameExtension(
      options.san ?? [
        { type: 'url', value: `mls-identity://${pki.slug}/accounts/a1/devices/d1` },
        { type: 'email', value: 'a1@example.com' },
      ],
    ),
    ...(options.extra ?? []),
  ].flat();
  if (options.keyUsage !== null) extensions.push(options.keyUsage ?? new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true));
  const cert = await X509CertificateGenerator.create(
    {
      subject: [{ CN: ['crafted'] }],
      issuer: intermediate.subjectName,
      notBefore: T0,
      notAfter: new Date(T0.getTime() + 7 * 86400_000),
      publicKey: keys.publicKey,
      signingKey: options.signer ?? pki.intermediateKeys.privateKey,
      signingAlgorithm: { name: 'Ed25519' },
      extensions,
    },
    globalThis.crypto,
  );
  return new Uint8Array(cert.rawData);
}

function akiValue(issuer: X509Certificate): ArrayBuffer {
  const keyId = Buffer.from(issuer.getExtension<SubjectKeyIdentifierExtension>('2.5.29.14')!.keyId, 'hex');
  // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier }
  return Uint8Array.of(0x30, keyId.length + 2, 0x80, keyId.length, ...keyId).buffer;
}

function pem(der: Uint8Array<ArrayBuffer>): string {
  return new X509Certificate(der).toString('pem');
}

describe('validateChain', () => {
  let acme: OrgPki;
  let globex: OrgPki;
  let options: ChainValidationOptions;

  beforeAll(async () => {
    acme = await createOrgPki('acme', 'Ed25519', T0);
    globex = await createOrgPki('globex', 'P-256', T0);
    options = { trustAnchors: [acme.root.der], at: NOW };
  });

  it.each(['Ed25519', 'P-256', 'P-384'] as const)('accepts an issued %s chain and names its identity', async (algorithm) => {
    const { certificate } = await issueDevice(acme, algorithm, { now: T0, accountId: 'u-1', deviceId: 'phone' });
    const suite = { Ed25519: 0x0003, 'P-256': 0x0002, 'P-384': 0x0007 }[algorithm];
    const result = await validateChain([certificate.der, acme.intermediate.der], { ...options, ciphersuite: suite });
    expect(result.identity).toEqual({ kind: 'device', org: 'acme', accountId: 'u-1', deviceId: 'phone', email: 'ada@example.com' });
    expect(result.leafKey.algorithm).toBe(algorithm);
    expect(result.validUntil).toEqual(certificate.notAfter);
    expect(result.revocationChecked).toBe('none');
    expect(identityOf([certificate.pem])).toEqual(result.identity);
  });

  it('accepts the root in the chain, PEM input, and an intermediate from the pool', async () => {
    const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
    await expect(validateChain([certificate.pem, acme.intermediate.pem, acme.root.pem], options)).resolves.toBeDefined();
    await expect(validateChain([certificate.der], { ...options, intermediates: [acme.intermediate.der] })).resolves.toBeDefined();
  });

  it("rejects another org's chain as untrusted_issuer", async () => {
    const { certificate } = await issueDevice(globex, 'P-256', { now: T0 });
    await expectReason(validateChain([certificate.der, globex.intermediate.der], options), 'untrusted_issuer');
    await expectReason(validateChain([certificate.der, acme.intermediate.der], options), 'untrusted_issuer');
    await expectReason(validateChain([certificate.der], options), 'untrusted_issuer');
  });

  it('rejects a look-alike PKI with the same names but other keys', async () => {
    const impostor = await createOrgPki('acme', 'Ed25519', T0);
    const { certificate } = await issueDevice(impostor, 'Ed25519', { now: T0 });
    await expectReason(validateChain([certificate.der, impostor.intermediate.der], options), 'untrusted_issuer');
    await expectReason(validateChain([certificate.der, impostor.intermediate.der, impostor.root.der], options), 'untrusted_issuer');
  });

  it('rejects tampered signatures as bad_signature', async () => {
    const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
    const signatureFlipped = certificate.der.slice();
    signatureFlipped[signatureFlipped.length - 1] ^= 0x80;
    await expectReason(validateChain([signatureFlipped, acme.intermediate.der], options), 'bad_signature');

    const contentChanged = certificate.der.slice();
    const at = Buffer.from(contentChanged).indexOf(Buffer.from('acc-1'));
    contentChanged[at + 4] = '2'.charCodeAt(0);
    await expectReason(validateChain([contentChanged, acme.intermediate.der], options), 'bad_signature');

    const forged = await craftLeaf(acme, { signer: (await generateKeys('Ed25519')).privateKey });
    await expectReason(validateChain([forged, acme.intermediate.der], options), 'bad_signature');
  });

  it('rejects chains outside their validity as expired or not_yet_valid', async () => {
    const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
    await expectReason(validateChain([certificate.der, acme.intermediate.der], { ...options, at: new Date('2026-01-09T00:00:00Z') }), 'expired');
    await expectReason(
      validateChain([certificate.der, acme.intermediate.der], { ...options, at: new Date('2025-12-31T23:50:00Z') }),
      'not_yet_valid',
    );
    await expectReason(validateChain([certificate.der, acme.intermediate.der], { ...options, at: new Date('2031-01-01T00:00:00Z') }), 'expired');
  });

  it('rejects a leaf with the wrong key usage', async () => {
    for (const keyUsage of [
      new KeyUsagesExtension(KeyUsageFlags.keyEncipherment, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, false),
      null,
    ]) {
      const leaf = await craftLeaf(acme, { keyUsage });
      await expectReason(validateChain([leaf, acme.intermediate.der], options), 'wrong_key_usage');
    }
  });

  it('rejects a CA leaf and a root whose path length forbids an intermediate', async () => {
    const caLeaf = await craftLeaf(acme, { basic: new BasicConstraintsExtension(true, undefined, true) });
    await expectReason(validateChain([caLeaf, acme.intermediate.der], options), 'basic_constraints');

    const rootKeys = await generateKeys('Ed25519');
    const tightRoot = await X509CertificateGenerator.createSelfSigned(
      {
        name: 'CN=tight root',
        keys: rootKeys,
        notBefore: T0,
        notAfter: new Date('2030-01-01T00:00:00Z'),
        signingAlgorithm: { name: 'Ed25519' },
        extensions: [
          new BasicConstraintsExtension(true, 0, true),
          new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
          await SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, globalThis.crypto),
        ],
      },
      globalThis.crypto,
    );
    const interKeys = await generateKeys('Ed25519');
    const inter = await createIntermediateCa({
      org: { slug: 'tight', name: 'Tight' },
      publicKey: interKeys.publicKey,
      issuer: { certificate: tightRoot, privateKey: rootKeys.privateKey },
      now: T0,
    });
    const pki: OrgPki = { slug: 'tight', name: 'Tight', root: null!, rootKeys, intermediate: inter, intermediateKeys: interKeys };
    const { certificate } = await issueDevice(pki, 'Ed25519', { now: T0 });
    await expectReason(validateChain([certificate.der, inter.der], { trustAnchors: [tightRoot], at: NOW }), 'path_length');
  });

  it('rejects a key that does not match the cipher suite', async () => {
    const { certificate } = await issueDevice(acme, 'P-256', { now: T0 });
    for (const ciphersuite of [0x0001, 0x0003, 0x0007]) {
      await expectReason(validateChain([certificate.der, acme.intermediate.der], { ...options, ciphersuite }), 'ciphersuite_mismatch');
    }
    await expectReason(validateChain([certificate.der, acme.intermediate.der], { ...options, ciphersuite: 0x0004 }), 'ciphersuite_mismatch');
  });

  it('rejects a leaf whose SAN is outside the name constraints, as openssl does', async () => {
    const outside = await craftLeaf(acme, {
      san: [
        { type: 'url', value: 'mls-identity://globex/accounts/a1/devices/d1' },
        { type: 'email', value: 'a1@example.com' },
      ],
    });
    await expectReason(validateChain([outside, acme.intermediate.der], options), 'name_constraints');
    const inside = await craftLeaf(acme);
    await expect(validateChain([inside, acme.intermediate.der], options)).resolves.toBeDefined();

    const ws = await opensslWorkspace();
    try {
      const args = ['-x509_strict', '-attime', String(NOW.getTime() / 1000), '-CAfile', await ws.write('root.pem', acme.root.pem)];
      args.push('-untrusted', await ws.write('inter.pem', acme.intermediate.pem));
      const rejected = await ws.verify([...args, await ws.write('outside.pem', pem(outside))]);
      expect(rejected.ok).toBe(false);
      expect(rejected.output).toMatch(/permitted subtree violation/);
      const accepted = await ws.verify([...args, await ws.write('inside.pem', pem(inside))]);
      expect(accepted.output).toContain(': OK');
    } finally {
      await ws.dispose();
    }
  });

  it('keeps certified emails inside the verified domains of the intermediate, as openssl does', async () => {
    const verified = await createOrgPki('acme', 'Ed25519', T0, ['example.com', 'example.org']);
    const names = AsnConvert.parse(new X509Certificate(verified.intermediate.der).getExtension('2.5.29.30')!.value, NameConstraints);
    expect(names.permittedSubtrees!.map((s) => s.base.uniformResourceIdentifier ?? s.base.rfc822Name)).toEqual([
      'acme',
      'example.com',
      'example.org',
    ]);
    const trust = { trustAnchors: [verified.root.der], at: NOW };
    const { certificate } = await issueDevice(verified, 'Ed25519', { now: T0 });
    await expect(validateChain([certificate.der, verified.intermediate.der], trust)).resolves.toBeDefined();
    // The issuer refuses to sign what its own constraints would make invalid.
    const foreign = { id: 'acc-1', displayName: 'Mallory', email: 'mallory@evil.test' };
    await expect(issueDevice(verified, 'Ed25519', { now: T0, account: foreign })).rejects.toThrow(ProfileParameterError);
    const san = (email: string): JsonGeneralNames => [
      { type: 'url', value: 'mls-identity://acme/accounts/a1/devices/d1' },
      { type: 'email', value: email },
    ];
    const outside = await craftLeaf(verified, { san: san('mallory@evil.test') });
    const subdomain = await craftLeaf(verified, { san: san('mallory@mail.example.com') });
    const inside = await craftLeaf(verified, { san: san('ada@example.org') });
    await expectReason(validateChain([outside, verified.intermediate.der], trust), 'name_constraints');
    await expectReason(validateChain([subdomain, verified.intermediate.der], trust), 'name_constraints');
    await expect(validateChain([inside, verified.intermediate.der], trust)).resolves.toBeDefined();

    const ws = await opensslWorkspace();
    try {
      const args = ['-x509_strict', '-attime', String(NOW.getTime() / 1000), '-CAfile', await ws.write('root.pem', verified.root.pem)];
      args.push('-untrusted', await ws.write('inter.pem', verified.intermediate.pem));
      expect((await ws.verify([...args, await ws.write('issued.pem', certificate.pem)])).output).toContain(': OK');
      expect((await ws.verify([...args, await ws.write('inside.pem', pem(inside))])).output).toContain(': OK');
      for (const [name, leaf] of [
        ['outside.pem', outside],
        ['subdomain.pem', subdomain],
      ] as const) {
        const rejected = await ws.verify([...args, await ws.write(name, pem(leaf))]);
        expect(rejected.ok).toBe(false);
        expect(rejected.output).toMatch(/permitted subtree violation/);
      }
    } finally {
      await ws.dispose();
    }
  });

  it('rejects an org intermediate without name constraints', async () => {
    const keys = await generateKeys('Ed25519');
    const root = new X509Certificate(acme.root.der);
    const unconstrained = await X509CertificateGenerator.create(
      {
        subject: 'CN=unconstrained, O=ACME Corp',
        issuer: root.subjectName,
        notBefore: T0,
        notAfter: new Date('2027-01-01T00:00:00Z'),
        publicKey: keys.publicKey,
        signingKey: acme.rootKeys.privateKey,
        signingAlgorithm: { name: 'Ed25519' },
        extensions: [
          new BasicConstraintsExtension(true, 0, true),
          new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
          await SubjectKeyIdentifierExtension.create(keys.publicKey, false, globalThis.crypto),
          new Extension('2.5.29.35', false, akiValue(root)),
        ],
      },
      globalThis.crypto,
    );
    const pki: OrgPki = { ...acme, intermediate: { ...acme.intermediate, der: new Uint8Array(unconstrained.rawData) }, intermediateKeys: keys };
    const { certificate } = await issueDevice(pki, 'Ed25519', { now: T0 });
    await expectReason(validateChain([certificate.der, unconstrained], options), 'name_constraints');
  });

  it('rejects leaves that break the identity profile', async () => {
    const noEmail = await craftLeaf(acme, { san: [{ type: 'url', value: 'mls-identity://acme/accounts/a1/devices/d1' }] });
    const twoUris = await craftLeaf(acme, {
      san: [
        { type: 'url', value: 'mls-identity://acme/accounts/a1/devices/d1' },
        { type: 'url', value: 'mls-identity://acme/accounts/a2/devices/d1' },
        { type: 'email', value: 'a@example.com' },
      ],
    });
    const notCanonical = await craftLeaf(acme, {
      san: [
        { type: 'url', value: 'mls-identity://acme/accounts/a%31/devices/d1' },
        { type: 'email', value: 'a@example.com' },
      ],
    });
    const unknownCritical = await craftLeaf(acme, { extra: [new Extension('1.2.3.4', true, Uint8Array.of(5, 0))] });
    for (const leaf of [noEmail, twoUris, notCanonical, unknownCritical]) {
      await expectReason(validateChain([leaf, acme.intermediate.der], options), 'not_profile_conformant');
    }
    await expectReason(validateChain([acme.intermediate.der, acme.root.der], options), 'not_profile_conformant');
  });

  it('reports malformed input as malformed, never as a raw exception', async () => {
    const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
    const inputs: unknown[][] = [
      [],
      [Uint8Array.of(1, 2, 3)],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'],
      [certificate.der.slice(0, 100), acme.intermediate.der],
      [certificate.der, acme.intermediate.der, acme.root.der, acme.root.der],
    ];
    // Outer signatureAlgorithm changed to Ed448 while tbsCertificate.signature still says Ed25519.
    const mismatched = certificate.der.slice();
    const outerAlgorithm = Buffer.from(mismatched).lastIndexOf(Buffer.from('06032b6570', 'hex'));
    mismatched[outerAlgorithm + 4] = 0x71;
    inputs.push([mismatched, acme.intermediate.der]);
    for (const chain of inputs) {
      await expectReason(validateChain(chain as Uint8Array[], options), 'malformed');
    }
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 100; i++) {
      const mutated = certificate.der.slice();
      for (let j = 0; j < 2; j++) mutated[random() % mutated.length] = random() & 0xff;
      await failureOf(validateChain([mutated, acme.intermediate.der], options));
    }
  });

  describe('revocation against CRLs', () => {
    it('reports a revoked leaf and a revoked intermediate with their CRL entries', async () => {
      const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
      const revokedAt = new Date('2026-01-01T12:00:00Z');
      const intermediateCrl = await createCrl({
        issuer: { certificate: acme.intermediate.der, privateKey: acme.intermediateKeys.privateKey },
        crlNumber: 2,
        thisUpdate: revokedAt,
        entries: [{ serialNumber: certificate.serialNumber, revocationDate: revokedAt, reason: 'keyCompromise' }],
      });
      const emptyRootCrl = await createCrl({
        issuer: { certificate: acme.root.der, privateKey: acme.rootKeys.privateKey },
        crlNumber: 1,
        thisUpdate: T0,
        nextUpdate: new Date('2026-02-01T00:00:00Z'),
        entries: [],
      });
      const chain = [certificate.der, acme.intermediate.der];
      const error = await expectReason(validateChain(chain, { ...options, crls: [intermediateCrl.der, emptyRootCrl.der] }), 'revoked');
      expect(error.revocation).toEqual({
        certificate: 'leaf',
        serialNumber: certificate.serialNumber,
        revocationDate: revokedAt,
        reason: 'keyCompromise',
      });

      const other = await issueDevice(acme, 'Ed25519', { now: T0, deviceId: 'other' });
      const ok = await validateChain([other.certificate.der, acme.intermediate.der], { ...options, crls: [intermediateCrl.pem, emptyRootCrl.pem] });
      expect(ok.revocationChecked).toBe('chain');

      const rootCrl = await createCrl({
        issuer: { certificate: acme.root.der, privateKey: acme.rootKeys.privateKey },
        crlNumber: 2,
        thisUpdate: T0,
        entries: [{ serialNumber: acme.intermediate.serialNumber, revocationDate: T0, reason: 'cACompromise' }],
      });
      const error2 = await expectReason(
        validateChain([other.certificate.der, acme.intermediate.der], { ...options, crls: [intermediateCrl.der, rootCrl.der] }),
        'revoked',
      );
      expect(error2.revocation?.certificate).toBe('intermediate');
      // With leaf-only checking, the root CRL is not needed and not consulted.
      await expect(
        validateChain([other.certificate.der, acme.intermediate.der], { ...options, crls: [intermediateCrl.der], revocation: 'leaf' }),
      ).resolves.toBeDefined();
    });

    it('reports crl_unavailable for missing, stale, foreign or forged CRLs', async () => {
      const { certificate } = await issueDevice(acme, 'Ed25519', { now: T0 });
      const chain = [certificate.der, acme.intermediate.der];
      const issuer = { certificate: acme.intermediate.der, privateKey: acme.intermediateKeys.privateKey };
      const stale = await createCrl({ issuer, crlNumber: 1, thisUpdate: T0, nextUpdate: new Date('2026-01-01T06:00:00Z'), entries: [] });
      const foreign = await createCrl({
        issuer: { certificate: globex.intermediate.der, privateKey: globex.intermediateKeys.privateKey },
        crlNumber: 1,
        thisUpdate: T0,
        entries: [],
      });
      const forged = await createCrl({
        issuer: { ...issuer, privateKey: (await generateKeys('Ed25519')).privateKey },
        crlNumber: 9,
        thisUpdate: T0,
        entries: [],
      });
      for (const crls of [[], [stale.der], [foreign.der], [forged.der], [Uint8Array.of(0x30, 0)]]) {
        await expectReason(validateChain(chain, { ...options, crls, revocation: 'leaf' }), 'crl_unavailable');
      }
    });
  });
});
