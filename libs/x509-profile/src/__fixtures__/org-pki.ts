import 'reflect-metadata';
import { webCryptoSignatureParams } from '#mls';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createIntermediateCa, createRootCa } from '../ca-certificate.js';
import type { IssuedCertificate } from '../certificate-issuer.js';
import type { SupportedKeyAlgorithm } from '../ciphersuite.js';
import { checkCertificationRequest } from '../csr.js';
import { issueDeviceCertificate, type DeviceCertificateParams } from '../device-certificate.js';

/** Test PKI: one org's root and intermediate with their keys, as the authority would hold them. */
export interface OrgPki {
  readonly slug: string;
  readonly name: string;
  readonly root: IssuedCertificate;
  readonly rootKeys: CryptoKeyPair;
  readonly intermediate: IssuedCertificate;
  readonly intermediateKeys: CryptoKeyPair;
}

export function keyParams(algorithm: SupportedKeyAlgorithm): Algorithm | EcKeyGenParams {
  return webCryptoSignatureParams(algorithm).generate;
}

export function signingParams(algorithm: SupportedKeyAlgorithm): Algorithm | EcdsaParams {
  return webCryptoSignatureParams(algorithm).sign;
}

/** Private keys are generated non-extractable, like KeyStore keys. */
export async function generateKeys(algorithm: SupportedKeyAlgorithm): Promise<CryptoKeyPair> {
  return (await globalThis.crypto.subtle.generateKey(keyParams(algorithm), false, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function createOrgPki(
  slug: string,
  caAlgorithm: SupportedKeyAlgorithm = 'Ed25519',
  now = new Date(),
  permittedEmailDomains?: readonly string[],
): Promise<OrgPki> {
  const name = `${slug.toUpperCase()} Corp`;
  const rootKeys = await generateKeys(caAlgorithm);
  const root = await createRootCa({ org: { slug, name }, keys: rootKeys, now });
  const intermediateKeys = await generateKeys(caAlgorithm);
  const intermediate = await createIntermediateCa({
    org: { slug, name },
    publicKey: intermediateKeys.publicKey,
    issuer: { certificate: root.der, privateKey: rootKeys.privateKey },
    crlDistributionPoint: `https://pki.example.test/pki/${slug}/crl/root.crl`,
    now,
    permittedEmailDomains,
  });
  return { slug, name, root, rootKeys, intermediate, intermediateKeys };
}

export async function deviceCsr(keys: CryptoKeyPair, algorithm: SupportedKeyAlgorithm, subject = 'CN=ignored'): Promise<Uint8Array> {
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: signingParams(algorithm) }, globalThis.crypto);
  return new Uint8Array(csr.rawData);
}

const CIPHERSUITE_FOR: Record<SupportedKeyAlgorithm, number> = { Ed25519: 0x0001, 'P-256': 0x0002, 'P-384': 0x0007 };

export function ciphersuiteFor(algorithm: SupportedKeyAlgorithm): number {
  return CIPHERSUITE_FOR[algorithm];
}

/** The DER SubjectPublicKeyInfo of a key pair's public key. */
export async function spkiOf(keys: CryptoKeyPair): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', keys.publicKey));
}

/** Device-certificate parameters for Grace Hopper's laptop-7, issued by the org's intermediate at `now`. */
export function deviceParams(pki: OrgPki, spki: Uint8Array, ciphersuite: number, now: Date): DeviceCertificateParams {
  return {
    org: { slug: pki.slug, name: pki.name },
    account: { id: 'u-42', displayName: 'Grace Hopper', email: 'grace@acme.example' },
    device: { id: 'laptop-7' },
    ciphersuite,
    subjectPublicKeyInfo: spki,
    issuer: { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey },
    crlDistributionPoint: 'https://id.acme.example/pki/acme/crl/int-1.crl',
    now,
  };
}

/** Runs the real enrollment path: device key → CSR → checks → device certificate. */
export async function issueDevice(
  pki: OrgPki,
  algorithm: SupportedKeyAlgorithm,
  overrides: Partial<DeviceCertificateParams> & { accountId?: string; deviceId?: string } = {},
): Promise<{ certificate: IssuedCertificate; keys: CryptoKeyPair }> {
  const keys = await generateKeys(algorithm);
  const ciphersuite = ciphersuiteFor(algorithm);
  const csr = await checkCertificationRequest(await deviceCsr(keys, algorithm), { ciphersuite });
  const certificate = await issueDeviceCertificate({
    org: { slug: pki.slug, name: pki.name },
    account: { id: overrides.accountId ?? 'acc-1', displayName: 'Ada Lovelace', email: 'ada@example.com' },
    device: { id: overrides.deviceId ?? 'dev-1' },
    ciphersuite,
    subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
    issuer: { certificate: pki.intermediate.der, privateKey: pki.intermediateKeys.privateKey },
    crlDistributionPoint: `https://pki.example.test/pki/${pki.slug}/crl/intermediate.crl`,
    ...overrides,
  });
  return { certificate, keys };
}

const run = promisify(execFile);

/** A scratch directory for openssl input files, removed by `dispose`. */
export async function opensslWorkspace(): Promise<{
  write(name: string, contents: string): Promise<string>;
  verify(args: readonly string[]): Promise<{ ok: boolean; output: string }>;
  dispose(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'x509-profile-'));
  return {
    async write(name, contents) {
      const file = path.join(dir, name);
      await writeFile(file, contents);
      return file;
    },
    async verify(args) {
      try {
        const { stdout, stderr } = await run('openssl', ['verify', ...args]);
        return { ok: true, output: stdout + stderr };
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        return { ok: false, output: stdout + stderr };
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
