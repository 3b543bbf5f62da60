import 'reflect-metadata';
import { decodeCredential, encodeCredential } from 'ts-mls/credential.js';
import { createOrgPki, generateKeys, issueDevice, type OrgPki } from './__fixtures__/org-pki.js';
import { validateChain } from './chain-validation.js';
import { CredentialMalformedError } from './errors.js';
import { decodeX509Credential, encodeX509Credential, sameClient } from './mls-credential.js';
import { decodeVectorLength, encodeVectorLength } from './mls-varint.js';
import { issueDeviceCertificate } from './device-certificate.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('RFC 9420 §2.1.2 vector lengths', () => {
  it.each([
    [0, '00'],
    [37, '25'],
    [63, '3f'],
    [64, '4040'],
    [15293, '7bbd'],
    [16383, '7fff'],
    [16384, '80004000'],
    [494878333, '9d7f3e7d'],
    [0x3fffffff, 'bfffffff'],
  ])('%i ⇄ %s', (value, encoded) => {
    expect(hex(encodeVectorLength(value))).toBe(encoded);
    expect(decodeVectorLength(bytes(encoded), 0)).toEqual({ length: value, next: encoded.length / 2 });
  });

  it('refuses the 0b11 prefix, non-minimal forms, truncation and out-of-range values', () => {
    for (const encoded of ['c0', 'ff', '4025', '80000025', '80003fff', '40', '8000', '']) {
      expect(() => decodeVectorLength(bytes(encoded), 0)).toThrow(CredentialMalformedError);
    }
    expect(() => encodeVectorLength(0x40000000)).toThrow(RangeError);
    expect(() => encodeVectorLength(-1)).toThrow(RangeError);
  });
});

describe('x509 Credential (RFC 9420 §5.3)', () => {
  let pki: OrgPki;
  beforeAll(async () => {
    pki = await createOrgPki('acme');
  });

  it('matches a hand-computed encoding', () => {
    const a = bytes('30 03 02 01 05');
    const b = bytes('30 00');
    // credential_type = x509 (0x0002); certificates<V> of 9 bytes: [05 | a] [02 | b]
    const expected = '0002 09 05 3003020105 02 3000'.replace(/\s/g, '');
    expect(hex(encodeX509Credential([a, b]))).toBe(expected);
    expect(decodeX509Credential(bytes(expected))).toEqual([a, b]);
  });

  it('round-trips a real chain, leaf first, that still validates', async () => {
    const { certificate } = await issueDevice(pki, 'Ed25519');
    const chain = [certificate.der, pki.intermediate.der];
    const encoded = encodeX509Credential(chain);
    // Both certificates are longer than 63 bytes: 2-byte lengths inside a 2-byte outer length.
    expect(encoded[2] >> 6).toBe(1);
    expect(encoded[4] >> 6).toBe(1);
    expect(hex(encoded.subarray(4, 6))).toBe(hex(encodeVectorLength(certificate.der.length)));
    const decoded = decodeX509Credential(encoded);
    expect(decoded).toEqual(chain);
    const result = await validateChain(decoded, { trustAnchors: [pki.root.der], ciphersuite: 1 });
    expect(result.identity.kind).toBe('device');
  });

  it('is byte-identical to the ts-mls encoding, and ts-mls decodes it', async () => {
    const { certificate } = await issueDevice(pki, 'P-256');
    const chain = [certificate.der, pki.intermediate.der];
    const ours = encodeX509Credential(chain);
    expect(hex(encodeCredential({ credentialType: 'x509', certificates: chain }))).toBe(hex(ours));
    const decoded = decodeCredential(ours, 0);
    expect(decoded?.[0]).toEqual({ credentialType: 'x509', certificates: chain });
    expect(decoded?.[1]).toBe(ours.length);
  });

  it('decodes strictly', () => {
    const good = '0002 09 05 3003020105 02 3000';
    const bad = [
      '',
      '00',
      '0001 09 05 3003020105 02 3000', // basic credential
      '0002 00', // no certificate
      '0002 09 05 3003020105 02 3000 00', // trailing byte
      '0002 0a 05 3003020105 02 3000', // outer length too long
      '0002 08 05 3003020105 02 30', // inner vector runs past the outer
      '0002 4009 05 3003020105 02 3000', // non-minimal outer length
      '0002 09 05 3003020105 02 0100', // cert_data is not a DER SEQUENCE
      '0002 09 05 3004020105 02 3000', // DER length disagrees with cert_data
      '0002 0a 02 3000 02 3000 02 3000 02 3000 02 3000'.replace('0a', '0f'), // five certificates
    ];
    expect(decodeX509Credential(bytes(good))).toHaveLength(2);
    for (const encoded of bad) {
      expect(() => decodeX509Credential(bytes(encoded))).toThrow(CredentialMalformedError);
    }
    expect(() => encodeX509Credential([])).toThrow(CredentialMalformedError);
    expect(() => encodeX509Credential([bytes('01')])).toThrow(CredentialMalformedError);
  });
});

describe('sameClient', () => {
  let pki: OrgPki;
  beforeAll(async () => {
    pki = await createOrgPki('acme');
  });

  async function reissue(accountId: string, deviceId: string, email = 'ada@example.com', org = pki) {
    const keys = await generateKeys('Ed25519');
    const certificate = await issueDeviceCertificate({
      org: { slug: org.slug, name: org.name },
      account: { id: accountId, displayName: 'Ada', email },
      device: { id: deviceId },
      ciphersuite: 1,
      subjectPublicKeyInfo: new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey)),
      issuer: { certificate: org.intermediate.der, privateKey: org.intermediateKeys.privateKey },
      crlDistributionPoint: 'https://pki.example.test/crl.crl',
    });
    return [certificate.der, org.intermediate.der];
  }

  it('is true for a renewed certificate with a new key or a changed email, false otherwise', async () => {
    const original = await reissue('acc-1', 'dev-1');
    expect(sameClient(original, await reissue('acc-1', 'dev-1'))).toBe(true);
    expect(sameClient(original, await reissue('acc-1', 'dev-1', 'ada.lovelace@example.com'))).toBe(true);
    expect(sameClient(original, await reissue('acc-1', 'dev-2'))).toBe(false);
    expect(sameClient(original, await reissue('acc-2', 'dev-1'))).toBe(false);
    const otherOrg = await createOrgPki('globex');
    expect(sameClient(original, await reissue('acc-1', 'dev-1', 'ada@example.com', otherOrg))).toBe(false);
    expect(sameClient(original, { kind: 'service', org: 'acme', service: 'removal' })).toBe(false);
    expect(sameClient(original, [Uint8Array.of(1, 2, 3)])).toBe(false);
    expect(sameClient([], original)).toBe(false);
  });
});

describe('Node Buffer inputs', () => {
  it('reads certificates handed over as Buffer views into a larger pool (as pg returns bytea)', async () => {
    const { parseCertificate } = await import('./certificate-input.js');
    const { createOrgPki } = await import('./__fixtures__/org-pki.js');
    const pki = await createOrgPki('pooled');
    const der = Buffer.from(pki.root.der);
    const pooled = Buffer.concat([Buffer.alloc(37, 7), der, Buffer.alloc(11, 9)]).subarray(37, 37 + der.length);
    expect(pooled.buffer.byteLength).toBeGreaterThan(der.length);
    expect(parseCertificate(pooled).rawData.byteLength).toBe(der.length);
  });
});
