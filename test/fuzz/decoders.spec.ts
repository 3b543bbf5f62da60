import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import fc from 'fast-check';
import * as x509 from '@peculiar/x509';
import {
  MlsGlueError,
  decodeExternalSenders,
  decodeGroupContextBytes,
  decodeGroupInfoMessage,
  decodeMlsMessageBytes,
  decodeX509Credential,
  encodeGroupContextBytes,
  encodeExternalSenders,
  encodeX509Credential,
  inspectKeyPackage,
  ratchetTreeOfGroupInfo,
} from '#mls';
import { DeviceSignatureError, leafOf, signDeviceRequest, verifyDeviceRequest } from '#protocol';
import { ScimError, applyPatch, parseFilter, parsePatchRequest, PATCH_OP_SCHEMA } from '#scim';
import { X509ProfileError, checkCertificationRequest } from '#x509-profile';
import { encodeMlsMessage } from 'ts-mls';
import { aliceAndBob, makeServiceSender, member, SUITE } from '../../libs/mls/test-support/group-fixture.js';
import { CORE_USER, ENTERPRISE, projectSchemas } from '../../libs/scim/test-support/project-schemas.js';
import { ciphersuiteImpl } from '../../libs/mls/src/ciphersuite.js';
import { FUZZ_SEED, fuzzRuns, rate } from './fuzz-settings.js';

/**
 * Issue 14 §2, the libraries: the decoders that take bytes and text from outside (CSR, the
 * device-request JWS, SCIM filters and PATCH, MLS messages and extensions) are driven with
 * valid inputs, valid inputs with bytes flipped, cut or appended, and random input. Each may
 * accept or refuse, but a refusal is the library's own typed error, never a crash (TypeError,
 * RangeError, stack overflow, a hang); and each property must see at least a floor of its
 * inputs accepted, so a decoder that refuses everything fails here.
 */
const RUNS = fuzzRuns(500);
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

type Outcome = 'accepted' | 'refused';
const tally = new Map<string, { accepted: number; total: number; ms: number }>();

/** Runs `decode`; a refusal must be an instance of `refusal`, anything else fails the property. */
async function outcome(name: string, refusal: abstract new (...args: never[]) => Error, decode: () => unknown): Promise<Outcome> {
  const t = tally.get(name) ?? { accepted: 0, total: 0, ms: 0 };
  tally.set(name, t);
  t.total += 1;
  try {
    await decode();
    t.accepted += 1;
    return 'accepted';
  } catch (e) {
    if (e instanceof refusal) return 'refused';
    throw e;
  }
}

async function property<T>(name: string, arb: fc.Arbitrary<T>, check: (value: T) => Promise<unknown>, floor: number): Promise<void> {
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      await check(v);
    }),
    { seed: FUZZ_SEED, numRuns: RUNS },
  );
  const t = tally.get(name);
  if (!t) return;
  t.ms = Date.now() - started;
  expect(t.accepted / t.total).toBeGreaterThanOrEqual(floor);
}

/** A byte string, possibly damaged: flipped bits, cut short, bytes appended, or left intact. */
function damaged(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }))
        .map(([bytes, flips]) => {
          const out = Uint8Array.from(bytes);
          for (const [at, x] of flips) if (out.length > 0) out[at % out.length] ^= x;
          return out;
        }),
    },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([bytes, n]) => bytes.slice(0, n % Math.max(bytes.length, 1))) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([bytes, tail]) => Uint8Array.from([...bytes, ...tail])),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
}

afterAll(() => {
  const lines = [...tally].map(
    ([name, t]) => `  ${name}: ${t.total} inputs, ${t.accepted} accepted (${rate(t.accepted, t.total)}), ${(t.ms / 1000).toFixed(1)} s`,
  );
  console.log(`decoder fuzz: seed ${FUZZ_SEED}, ${RUNS} runs per property\n${lines.join('\n')}`);
});

describe('CSR decoder (libs/x509-profile)', () => {
  const suites = [
    { ciphersuite: 1, gen: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
    { ciphersuite: 2, gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  ];
  let pool: { ciphersuite: number; der: Uint8Array }[] = [];

  beforeAll(async () => {
    // Key generation and signing are slow next to parsing: a pool of real CSRs with varied
    // subjects and extensions, which the generator then picks from and damages.
    pool = [];
    for (let i = 0; i < 12; i++) {
      const s = suites[i % suites.length];
      const keys = (await webcrypto.subtle.generateKey(s.gen as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
      const extensions = i % 3 === 0 ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: `d${i}.example` }])] : [];
      const csr = await x509.Pkcs10CertificateRequestGenerator.create(
        { name: `CN=device ${i}, O=fuzz`, keys, signingAlgorithm: s.sign as EcdsaParams, extensions },
        webcrypto as Crypto,
      );
      pool.push({ ciphersuite: s.ciphersuite, der: new Uint8Array(csr.rawData) });
    }
  });

  it('accepts or refuses with an X509ProfileError, as DER and as PEM', async () => {
    const arb = fc.tuple(fc.nat(), fc.boolean(), fc.constantFrom(1, 2, 3, 7, 0, 0xffff)).chain(([i, pem, suite]) => {
      const { der, ciphersuite } = pool[i % pool.length];
      return damaged(fc.constant(der)).map((bytes) => ({ bytes, pem, ciphersuite: suite === 0 ? ciphersuite : suite }));
    });
    await property(
      'CSR (checkCertificationRequest)',
      fc.oneof(
        { weight: 4, arbitrary: arb },
        { weight: 4, arbitrary: arb.map((v) => ({ ...v, ciphersuite: v.ciphersuite === 7 ? 1 : v.ciphersuite })) },
      ),
      ({ bytes, pem, ciphersuite }) =>
        outcome('CSR (checkCertificationRequest)', X509ProfileError, () =>
          checkCertificationRequest(pem ? x509.PemConverter.encode(bytes.buffer as ArrayBuffer, 'CERTIFICATE REQUEST') : bytes, { ciphersuite }),
        ),
      0.12,
    );
  }, 60_000);
});

describe('device-request JWS (libs/protocol)', () => {
  let signer: { ciphersuite: number; privateKey: CryptoKey; chainDer: Uint8Array[] };

  beforeAll(async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=device',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: { name: 'Ed25519' },
    } as x509.X509CertificateCreateSelfSignedParams);
    signer = { ciphersuite: 1, privateKey: keys.privateKey, chainDer: [new Uint8Array(cert.rawData)] };
  });

  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT'),
    pathWithQuery: fc.webPath().map((p) => `/v1${p}`),
    body: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
  });
  /** How the token reaches the verifier: intact, with a character changed, cut, or replaced. */
  const tamper = fc.oneof(
    { weight: 5, arbitrary: fc.constant((jws: string) => jws) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 })).map(
        ([at, c]) =>
          (jws: string) =>
            jws.slice(0, at % jws.length) + c + jws.slice((at % jws.length) + 1),
      ),
    },
    { weight: 1, arbitrary: fc.nat().map((n) => (jws: string) => jws.slice(0, n % jws.length)) },
    {
      weight: 1,
      arbitrary: fc
        .jsonValue()
        .map((h) => (jws: string) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${jws.split('.').slice(1).join('.')}`),
    },
    { weight: 1, arbitrary: fc.string().map((s) => () => s) },
  );

  it('verifies or refuses with a DeviceSignatureError', async () => {
    await property(
      'device-request JWS (leafOf + verifyDeviceRequest)',
      fc.tuple(request, tamper, fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })),
      async ([req, change, sameRequest]) => {
        const header = await signDeviceRequest(signer, req);
        const jws = change(header.slice('MLS-Device '.length));
        await outcome('device-request JWS (leafOf + verifyDeviceRequest)', DeviceSignatureError, async () => {
          const { leafDer } = leafOf(jws);
          await verifyDeviceRequest(jws, leafDer, sameRequest ? req : { ...req, method: 'DELETE' });
        });
      },
      0.3,
    );
  }, 60_000);
});

describe('SCIM filter and PATCH (libs/scim)', () => {
  const users = projectSchemas().resource('User');
  const attr = fc.constantFrom(
    'userName',
    'emails.value',
    'name.givenName',
    'active',
    'meta.created',
    `${ENTERPRISE}:department`,
    'emails[type eq "work"].value',
    'x',
    '$ref',
  );
  const value = fc.oneof(
    fc.constant('"a"'),
    fc.constant('true'),
    fc.constant('null'),
    fc.constant('12'),
    fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  );
  const leaf = fc.oneof(
    fc.tuple(attr, fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'), value).map(([a, op, v]) => `${a} ${op} ${v}`),
    attr.map((a) => `${a} pr`),
  );
  const { filter } = fc.letrec<{ filter: string }>((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.tuple(tie('filter'), fc.constantFrom(' and ', ' or '), tie('filter')).map(([a, op, b]) => a + op + b),
      tie('filter').map((f) => `not (${f})`),
      fc.tuple(fc.constantFrom('emails', 'addresses'), tie('filter')).map(([a, f]) => `${a}[${f}]`),
    ),
  }));
  const noise = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('(((((', 'not not', '"\\', 'a eq', '[', 'emails[type eq "x"'),
  );
  const text = fc.oneof(
    { weight: 5, arbitrary: filter },
    { weight: 2, arbitrary: fc.tuple(filter, fc.nat(), noise).map(([f, at, n]) => f.slice(0, at % (f.length + 1)) + n) },
    { weight: 1, arbitrary: noise },
  );

  it('parses filters or refuses with a ScimError', async () => {
    await property('SCIM filter (parseFilter)', text, async (f) => outcome('SCIM filter (parseFilter)', ScimError, () => parseFilter(f)), 0.3);
  });

  const typedOp = fc.oneof(
    fc.record({
      op: fc.constantFrom('replace', 'Replace'),
      path: fc.constant('active'),
      value: fc.oneof(fc.boolean(), fc.constantFrom('True', 'False')),
    }),
    fc.record({
      op: fc.constantFrom('add', 'replace'),
      path: fc.constantFrom('name.givenName', 'displayName', `${ENTERPRISE}:department`),
      value: fc.string({ maxLength: 10 }),
    }),
    fc.record({
      op: fc.constant('add'),
      path: fc.constant('emails'),
      value: fc.array(fc.record({ value: fc.string({ maxLength: 10 }), type: fc.constant('home') }), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({ op: fc.constant('remove'), path: fc.constantFrom('emails[type eq "work"]', 'name.givenName', 'emails') }),
  );
  const op = fc.oneof(
    { weight: 4, arbitrary: typedOp },
    fc.record({
      op: fc.constantFrom('add', 'replace', 'Replace'),
      path: attr,
      value: fc.oneof(fc.boolean(), fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
    }),
    fc.record({
      op: fc.constant('remove'),
      path: fc.oneof(
        attr,
        filter.map((f) => `emails[${f}]`),
      ),
    }),
    fc.record({
      op: fc.constant('replace'),
      value: fc.record({ displayName: fc.string({ maxLength: 10 }), active: fc.boolean() }, { requiredKeys: [] }),
    }),
    fc.record({ op: fc.string({ maxLength: 8 }), path: fc.string({ maxLength: 20 }), value: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  );
  const patch = fc.oneof(
    { weight: 6, arbitrary: fc.record({ schemas: fc.constant([PATCH_OP_SCHEMA]), Operations: fc.array(op, { minLength: 1, maxLength: 4 }) }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  );
  const resource = {
    schemas: [CORE_USER, ENTERPRISE],
    id: 'u1',
    userName: 'alice@acme.example',
    active: true,
    name: { givenName: 'Alice' },
    emails: [{ value: 'alice@acme.example', type: 'work', primary: true }],
    [ENTERPRISE]: { department: 'R&D' },
  };

  it('parses and applies PATCH requests or refuses with a ScimError', async () => {
    await property(
      'SCIM PATCH (parsePatchRequest + applyPatch)',
      patch,
      async (body) =>
        outcome('SCIM PATCH (parsePatchRequest + applyPatch)', ScimError, () =>
          applyPatch(structuredClone(resource), parsePatchRequest(body), users),
        ),
      0.2,
    );
  });
});

describe('MLS decoders (libs/mls)', () => {
  let groupInfo: Uint8Array;
  let keyPackages: Uint8Array[];
  let groupContext: Uint8Array;
  let chain: Uint8Array[];

  beforeAll(async () => {
    const sender = await makeServiceSender();
    chain = sender.chain;
    const group = await aliceAndBob('fuzz-group', [{ signaturePublicKey: sender.signaturePublicKey, credential: sender.credential }]);
    groupInfo = group.groupInfo;
    groupContext = encodeGroupContextBytes(group.alice.groupContext);
    const cs = await ciphersuiteImpl(SUITE);
    keyPackages = [];
    for (const name of ['carol', 'dave']) {
      const kp = await member(name, cs);
      keyPackages.push(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage }));
    }
  });

  it('decodes GroupInfo messages (and their ratchet tree) or refuses with an MLS error', async () => {
    await property(
      'MLS GroupInfo (decodeGroupInfoMessage + ratchet tree)',
      damaged(fc.constant(groupInfo)),
      async (bytes) =>
        outcome('MLS GroupInfo (decodeGroupInfoMessage + ratchet tree)', MlsGlueError, () => ratchetTreeOfGroupInfo(decodeGroupInfoMessage(bytes))),
      0.3,
    );
  }, 60_000);

  it('inspects KeyPackages or refuses with an MLS error', async () => {
    await property(
      'MLS KeyPackage (inspectKeyPackage)',
      fc.nat().chain((i) => damaged(fc.constant(keyPackages[i % keyPackages.length]))),
      async (bytes) => outcome('MLS KeyPackage (inspectKeyPackage)', MlsGlueError, () => inspectKeyPackage(bytes)),
      0.3,
    );
  }, 60_000);

  it('decodes MLSMessages, GroupContexts, external senders and x509 credentials or refuses with an MLS error', async () => {
    const senders = fc.array(
      fc.record({
        signaturePublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        credential: fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 20 }).map((identity) => ({ credentialType: 'basic' as const, identity })),
          fc.constant({ credentialType: 'x509' as const, certificates: chain }),
        ),
      }),
      { maxLength: 3 },
    );
    const inputs = fc.oneof(
      damaged(fc.constantFrom(...[groupInfo, ...keyPackages])).map(
        (b) => ['MLSMessage (decodeMlsMessageBytes)', () => decodeMlsMessageBytes(b)] as const,
      ),
      damaged(fc.constant(groupContext)).map((b) => ['MLS GroupContext (decodeGroupContextBytes)', () => decodeGroupContextBytes(b)] as const),
      damaged(senders.map(encodeExternalSenders)).map(
        (b) => ['MLS external_senders (decodeExternalSenders)', () => decodeExternalSenders(b)] as const,
      ),
      damaged(fc.constant(encodeX509Credential(chain))).map(
        (b) => ['MLS x509 Credential (decodeX509Credential)', () => decodeX509Credential(b)] as const,
      ),
    );
    await property('MLS structures', inputs, async ([name, decode]) => outcome(name, MlsGlueError, decode), 0);
    for (const name of [
      'MLSMessage (decodeMlsMessageBytes)',
      'MLS GroupContext (decodeGroupContextBytes)',
      'MLS external_senders (decodeExternalSenders)',
      'MLS x509 Credential (decodeX509Credential)',
    ]) {
      const t = tally.get(name)!;
      expect(t.accepted / t.total).toBeGreaterThanOrEqual(0.3);
    }
  }, 60_000);
});
