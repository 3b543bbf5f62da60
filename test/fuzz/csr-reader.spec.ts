import 'reflect-metadata';
import { generateKeyPairSync, sign as nodeSign, webcrypto } from 'node:crypto';
import fc from 'fast-check';
import * as x509 from '@peculiar/x509';
import { checkCertificationRequest, X509ProfileError, type CertificationRequestParts, type CheckedCsr } from '#x509-profile';
import { verifyCsrSignature } from '../../apps/identity-service/src/enrollment/csr-input.js';
import { FUZZ_SEED, fuzzRuns } from './fuzz-settings.js';

/**
 * The CSR hot path (libs/x509-profile rfc2986-certification-request.ts with node:crypto
 * verification) against the @peculiar/x509 reference path: for every input, the same
 * accept/refuse decision, the same refusal (class and message) and the same extracted fields.
 * Inputs: real requests of every supported key type with varied subjects, requests built
 * field by field with off-profile variants (parameters, hashes, attributes, string types,
 * non-minimal signature integers, versions), and all of them damaged.
 */
const RUNS = fuzzRuns(600);
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

type Result = { accepted: CheckedCsr } | { refused: string };

async function run(input: Uint8Array | string, ciphersuite: number, verify?: (p: CertificationRequestParts) => boolean): Promise<Result> {
  try {
    return { accepted: await checkCertificationRequest(input, { ciphersuite, verify }) };
  } catch (e) {
    if (e instanceof X509ProfileError) return { refused: `${e.constructor.name}: ${e.message}` };
    throw e;
  }
}

// DER writing for the hand-built variants (test-only; the library's writer is not reused so a
// bug there cannot hide one here).
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Uint8Array.from([tag, ...len]), body]);
}
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);

const KEY_TYPES = [
  { name: 'Ed25519', suite: 1, node: 'ed25519', hash: null, sigAlg: '300506032b6570' },
  { name: 'P-256', suite: 2, node: 'P-256', hash: 'sha256', sigAlg: '300a06082a8648ce3d040302' },
  { name: 'P-384', suite: 7, node: 'P-384', hash: 'sha384', sigAlg: '300a06082a8648ce3d040303' },
] as const;

type Variant = {
  subject: Uint8Array;
  version: Uint8Array;
  attributes: Uint8Array;
  sigAlg?: string;
  hash?: string | null;
  nonMinimalSignature?: boolean;
};

const SUBJECTS: Uint8Array[] = [
  seq(),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, Buffer.from('device'))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x13, Buffer.from('Device 7'))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x13, Buffer.from('bad*printable'))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x16, Buffer.from('ia5'))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x14, Buffer.from('t61'))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, new Uint8Array(0))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, hex('c328'))))),
  seq(tlv(0x31, seq(hex('060355040a'), tlv(0x0c, Buffer.from('Ünïcødé 山田 😀'))), seq(hex('0603550403'), tlv(0x0c, Buffer.from('multi'))))),
  seq(tlv(0x31)),
  seq(tlv(0x31, seq(hex('06038055'), tlv(0x0c, Buffer.from('bad oid'))))),
  seq(tlv(0x31, seq(hex('0600'), tlv(0x0c, Buffer.from('empty oid'))))),
  seq(...Array.from({ length: 20 }, (_, i) => tlv(0x31, seq(hex('0603550403'), tlv(0x0c, Buffer.from(`n${i}`)))))),
  seq(tlv(0x31, seq(hex('0603550403'), tlv(0x0c, Buffer.alloc(300, 0x61))))),
];
const VERSIONS = [hex('020100'), hex('020101'), hex('02020000')];
const ATTRIBUTES = [
  hex('a000'),
  // challengePassword
  tlv(0xa0, seq(hex('06092a864886f70d010907'), tlv(0x31, tlv(0x0c, Buffer.from('pw'))))),
  // extensionRequest { basicConstraints cA TRUE, critical }
  tlv(0xa0, seq(hex('06092a864886f70d01090e'), tlv(0x31, seq(seq(hex('0603551d13'), hex('0101ff'), tlv(0x04, seq(hex('0101ff')))))))),
];

function handBuilt(key: (typeof KEY_TYPES)[number], v: Variant): Uint8Array {
  const pair = key.name === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: key.node });
  const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
  const info = seq(v.version, v.subject, spki, v.attributes);
  const hash = v.hash === undefined ? key.hash : v.hash;
  let signature: Uint8Array = nodeSign(hash, info, key.name === 'Ed25519' ? pair.privateKey : { key: pair.privateKey, dsaEncoding: 'der' });
  if (v.nonMinimalSignature && key.name !== 'Ed25519') {
    // r with a superfluous leading zero octet: BER-valid, not DER.
    const inner = signature.subarray(2);
    const rLen = inner[1];
    const r = inner.subarray(2, 2 + rLen);
    const rest = inner.subarray(2 + rLen);
    signature = seq(tlv(0x02, Uint8Array.of(0), r), rest);
  }
  return seq(info, hex(v.sigAlg ?? key.sigAlg), tlv(0x03, Uint8Array.of(0), signature));
}

async function peculiarCsr(key: (typeof KEY_TYPES)[number], name: x509.JsonName | string, extensions: x509.Extension[]): Promise<Uint8Array> {
  const params = key.name === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: key.name };
  const keys = (await webcrypto.subtle.generateKey(params as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  const signingAlgorithm = key.name === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: key.name === 'P-256' ? 'SHA-256' : 'SHA-384' };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm, extensions }, webcrypto as unknown as Crypto);
  return new Uint8Array(csr.rawData);
}

describe('CSR hot path against the reference (fast-check, differential)', () => {
  const pool: { der: Uint8Array; suite: number }[] = [];
  /** Pool entries of the plain device shape, picked half of the time so the fast path is exercised. */
  const plain: number[] = [];
  let fastAccepted = 0;
  const counting = (parts: CertificationRequestParts) => {
    const ok = verifyCsrSignature(parts);
    if (ok) fastAccepted += 1;
    return ok;
  };

  beforeAll(async () => {
    for (const key of KEY_TYPES) {
      plain.push(pool.push({ der: await peculiarCsr(key, 'CN=mls-device', []), suite: key.suite }) - 1);
      plain.push(
        pool.push({
          der: await peculiarCsr(
            key,
            [{ CN: [{ printableString: 'Device' }] }, { O: [{ utf8String: 'Acme 株式会社' }] }] as unknown as x509.JsonName,
            [],
          ),
          suite: key.suite,
        }) - 1,
      );
      pool.push({ der: await peculiarCsr(key, 'CN=ca please', [new x509.BasicConstraintsExtension(true)]), suite: key.suite });
      pool.push({ der: await peculiarCsr(key, 'CN=x', [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign)]), suite: key.suite });
      for (const subject of SUBJECTS)
        pool.push({ der: handBuilt(key, { subject, version: VERSIONS[0], attributes: ATTRIBUTES[0] }), suite: key.suite });
      for (const version of VERSIONS.slice(1))
        pool.push({ der: handBuilt(key, { subject: SUBJECTS[1], version, attributes: ATTRIBUTES[0] }), suite: key.suite });
      for (const attributes of ATTRIBUTES.slice(1))
        pool.push({ der: handBuilt(key, { subject: SUBJECTS[1], version: VERSIONS[0], attributes }), suite: key.suite });
    }
    const [ed, p256, p384] = KEY_TYPES;
    const variants: [(typeof KEY_TYPES)[number], Partial<Variant>][] = [
      [p256, { sigAlg: '300c06082a8648ce3d0403020500' }], // NULL parameters
      [p256, { sigAlg: '300a06082a8648ce3d040303', hash: 'sha384' }], // SHA-384 on P-256
      [p256, { sigAlg: '300a06082a8648ce3d040304', hash: 'sha512' }], // SHA-512 on P-256
      [p384, { sigAlg: '300a06082a8648ce3d040302', hash: 'sha256' }], // SHA-256 on P-384
      [p256, { nonMinimalSignature: true }],
      [p384, { nonMinimalSignature: true }],
      [ed, { sigAlg: '300706032b65700500' }], // Ed25519 with NULL parameters
      [ed, { sigAlg: '300506032b6571' }], // Ed448 OID for an Ed25519 key
      [p256, { hash: 'sha384' }], // signed with the wrong hash
    ];
    for (const [key, v] of variants) {
      pool.push({ der: handBuilt(key, { subject: SUBJECTS[1], version: VERSIONS[0], attributes: ATTRIBUTES[0], ...v }), suite: key.suite });
    }
  });

  it('takes the same decisions and extracts the same fields', async () => {
    const input = fc
      .tuple(
        fc.oneof(
          fc.nat(),
          fc.nat().map((n) => plain[n % plain.length]),
        ),
        fc.constantFrom(0, 0, 0, 1, 2, 7, 4, 0xffff),
        fc.boolean(),
        fc.oneof(
          { weight: 5, arbitrary: fc.constant<[number, number][]>([]) },
          { weight: 3, arbitrary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }) },
        ),
        fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat() }),
      )
      .map(([i, suite, pem, flips, cut]) => {
        const { der, suite: own } = pool[i % pool.length];
        let bytes = Uint8Array.from(der);
        for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
        if (cut >= 0) bytes = bytes.slice(0, cut % bytes.length);
        const text = pem ? x509.PemConverter.encode(bytes.buffer as ArrayBuffer, 'CERTIFICATE REQUEST') : undefined;
        return { input: text ?? bytes, suite: suite === 0 ? own : suite };
      });
    await fc.assert(
      fc.asyncProperty(input, async ({ input: csr, suite }) => {
        const reference = await run(csr, suite);
        const fast = await run(csr, suite, counting);
        expect(fast).toEqual(reference);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    // Not vacuous: a good share of inputs went the fast way and were accepted there.
    expect(fastAccepted).toBeGreaterThan(RUNS / 10);
  }, 120_000);

  it('every pool entry, undamaged, for every suite', async () => {
    const fastBefore = fastAccepted;
    for (const { der } of pool) {
      for (const suite of [1, 2, 3, 7, 4, 5, 6]) {
        expect(await run(der, suite, counting)).toEqual(await run(der, suite));
      }
    }
    expect(fastAccepted - fastBefore).toBeGreaterThanOrEqual(KEY_TYPES.length * 4);
  }, 60_000);
});
