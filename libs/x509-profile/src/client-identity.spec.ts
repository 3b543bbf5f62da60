import 'reflect-metadata';
import { decodeX509Credential, encodeX509Credential } from '#mls';
import { createOrgPki, generateKeys, issueDevice, type OrgPki } from './__fixtures__/org-pki.js';
import { validateChain } from './chain-validation.js';
import { sameClient } from './client-identity.js';
import { issueDeviceCertificate } from './device-certificate.js';

describe('a device chain as an RFC 9420 x509 Credential (#mls codec, this profile validates)', () => {
  it('round-trips a real chain, leaf first, that still validates', async () => {
    const pki = await createOrgPki('acme');
    const { certificate } = await issueDevice(pki, 'Ed25519');
    const chain = [certificate.der, pki.intermediate.der];
    const decoded = decodeX509Credential(encodeX509Credential(chain));
    expect(decoded).toEqual(chain);
    const result = await validateChain(decoded, { trustAnchors: [pki.root.der], ciphersuite: 1 });
    expect(result.identity.kind).toBe('device');
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
    const pki = await createOrgPki('pooled');
    const der = Buffer.from(pki.root.der);
    const pooled = Buffer.concat([Buffer.alloc(37, 7), der, Buffer.alloc(11, 9)]).subarray(37, 37 + der.length);
    expect(pooled.buffer.byteLength).toBeGreaterThan(der.length);
    expect(parseCertificate(pooled).rawData.byteLength).toBe(der.length);
  });
});
