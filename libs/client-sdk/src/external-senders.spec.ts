import { issueServiceCertificate } from '#x509-profile';
import { createOrgPki, issueDevice, type OrgPki } from '../../x509-profile/src/__fixtures__/org-pki.js';
import { decodeExternalSenders } from '#mls';
import { fakeFetch } from '../test-support/fake-fetch.js';
import { encodeBase64 } from './base64.js';
import { generateDeviceKeys } from './device-keys.js';
import { ExternalSenderUntrusted } from './errors.js';
import { ServiceTransport } from './service-transport.js';
import { fetchExternalSenders } from './service-removals.js';

let pki: OrgPki;

beforeAll(async () => {
  pki = await createOrgPki('acme');
});

async function removalSender(org: OrgPki, keys?: Awaited<ReturnType<typeof generateDeviceKeys>>) {
  const k = keys ?? (await generateDeviceKeys(1));
  const cert = await issueServiceCertificate({
    org: { slug: org.slug, name: org.name },
    service: 'removal',
    ciphersuite: 1,
    subjectPublicKeyInfo: k.subjectPublicKeyInfo,
    issuer: { certificate: org.intermediate.der, privateKey: org.intermediateKeys.privateKey },
    crlDistributionPoint: 'https://pki.example.test/crl',
  });
  return { keys: k, chain: [cert.der, org.intermediate.der] };
}

function serve(senders: { signatureKey: Uint8Array; chain: Uint8Array[] }[]) {
  return new ServiceTransport({
    baseUrl: 'http://id.test',
    fetch: fakeFetch(() => ({
      status: 200,
      body: {
        externalSenders: senders.map((s) => ({
          ciphersuite: 1,
          signatureKey: encodeBase64(s.signatureKey),
          chain: s.chain.map(encodeBase64),
          notAfter: new Date().toISOString(),
        })),
      },
    })).fetch,
  });
}

const bundle = () => ({ roots: [pki.root.der], intermediates: [pki.intermediate.der], fetchedAt: new Date() });

describe('fetchExternalSenders: the org removal service, checked against the trust bundle', () => {
  it('returns the senders and the RFC 9420 list-form external_senders extension', async () => {
    const s = await removalSender(pki);
    const got = await fetchExternalSenders(serve([{ signatureKey: s.keys.signaturePublicKey, chain: s.chain }]), 'acme', bundle(), 1);
    expect(got.senders).toHaveLength(1);
    expect(got.extension.extensionType).toBe('external_senders');
    const decoded = decodeExternalSenders(got.extension.extensionData);
    expect(Buffer.from(decoded[0]!.signaturePublicKey)).toEqual(Buffer.from(s.keys.signaturePublicKey));
  });

  it('refuses a listed key that is not the certified one', async () => {
    const s = await removalSender(pki);
    const other = await generateDeviceKeys(1);
    await expect(
      fetchExternalSenders(serve([{ signatureKey: other.signaturePublicKey, chain: s.chain }]), 'acme', bundle(), 1),
    ).rejects.toBeInstanceOf(ExternalSenderUntrusted);
  });

  it("refuses a device certificate posing as the removal service, and another org's service", async () => {
    const device = await issueDevice(pki, 'Ed25519');
    const spki = new Uint8Array(await crypto.subtle.exportKey('raw', device.keys.publicKey));
    await expect(
      fetchExternalSenders(serve([{ signatureKey: spki, chain: [device.certificate.der, pki.intermediate.der] }]), 'acme', bundle(), 1),
    ).rejects.toThrow(/removal service/);
    const globex = await createOrgPki('globex');
    const foreign = await removalSender(globex);
    await expect(
      fetchExternalSenders(serve([{ signatureKey: foreign.keys.signaturePublicKey, chain: foreign.chain }]), 'acme', bundle(), 1),
    ).rejects.toBeInstanceOf(ExternalSenderUntrusted);
  });

  it('refuses when no sender serves the cipher suite', async () => {
    const s = await removalSender(pki);
    await expect(
      fetchExternalSenders(serve([{ signatureKey: s.keys.signaturePublicKey, chain: s.chain }]), 'acme', bundle(), 2),
    ).rejects.toBeInstanceOf(ExternalSenderUntrusted);
  });
});
