import 'reflect-metadata';
import { createHash, createPrivateKey, KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { importDeviceKeys, type DeviceCertificate, type DeviceKeys, type EnrolledDevice } from '#client-sdk';
import { encodeX509Credential } from '#mls';
import { identityOf, parseCertificate } from '#x509-profile';
import { UsageError } from './exit-codes.js';

/**
 * A device's identity on disk, as `mlsid device enroll` writes it and `device renew` reads it:
 *   device.key       the MLS signature private key, PKCS#8 PEM, mode 0600
 *   chain.pem        the certificate chain, leaf first
 *   credential.bin   the RFC 9420 §5.3 Credential (x509) that goes into KeyPackages
 *   device.json      where it was enrolled (service URL, org, ids, cipher suite): no secrets
 */
export const DEVICE_FILES = { key: 'device.key', chain: 'chain.pem', credential: 'credential.bin', meta: 'device.json' } as const;

export interface DeviceMeta {
  baseUrl: string;
  org: string;
  accountId: string;
  deviceId: string;
  ciphersuite: number;
  certificateId: string;
}

/** Writes `name` through a temporary file, so a crash never leaves half a key or chain. */
async function replaceFile(dir: string, name: string, data: string | Uint8Array, mode: number): Promise<void> {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

export async function deviceDirHoldsKey(dir: string): Promise<boolean> {
  return stat(path.join(dir, DEVICE_FILES.key)).then(
    () => true,
    () => false,
  );
}

/** Writes the key (only when `withKey`: renewal keeps it unless rotated), chain, credential and metadata. */
export async function writeDeviceDir(
  dir: string,
  device: EnrolledDevice,
  meta: Omit<DeviceMeta, 'certificateId' | 'ciphersuite'>,
  withKey: boolean,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (withKey) {
    const pem = KeyObject.from(device.keys.keyPair.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
    await replaceFile(dir, DEVICE_FILES.key, pem, 0o600);
  }
  await replaceFile(
    dir,
    DEVICE_FILES.chain,
    device.certificate.chainPem.endsWith('\n') ? device.certificate.chainPem : `${device.certificate.chainPem}\n`,
    0o644,
  );
  await replaceFile(dir, DEVICE_FILES.credential, device.certificate.credential, 0o644);
  const full: DeviceMeta = { ...meta, ciphersuite: device.keys.ciphersuite, certificateId: device.certificate.certificateId };
  await replaceFile(dir, DEVICE_FILES.meta, `${JSON.stringify(full, null, 2)}\n`, 0o644);
}

async function readIn(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, name));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (e as Error).message;
    throw new UsageError(`${path.join(dir, name)} ${why} (run mlsid device enroll --out ${dir} first)`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function chainFromPem(pem: string, where: string): Uint8Array[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new UsageError(`${where} holds no PEM certificate`);
  return blocks.map((b) => new Uint8Array(parseCertificate(b).rawData));
}

/** The enrolled device from its directory, its key checked against the chain's leaf. */
export async function readDeviceDir(dir: string): Promise<{ device: EnrolledDevice; meta: DeviceMeta }> {
  const metaText = (await readIn(dir, DEVICE_FILES.meta)).toString('utf8');
  let meta: DeviceMeta;
  try {
    meta = JSON.parse(metaText) as DeviceMeta;
  } catch {
    throw new UsageError(`${path.join(dir, DEVICE_FILES.meta)} is not JSON`);
  }
  if (typeof meta.baseUrl !== 'string' || typeof meta.ciphersuite !== 'number' || typeof meta.deviceId !== 'string') {
    throw new UsageError(`${path.join(dir, DEVICE_FILES.meta)} lacks baseUrl, deviceId or ciphersuite`);
  }
  const chainPem = (await readIn(dir, DEVICE_FILES.chain)).toString('utf8');
  const chainDer = chainFromPem(chainPem, path.join(dir, DEVICE_FILES.chain));
  let keys: DeviceKeys;
  try {
    const jwk = createPrivateKey((await readIn(dir, DEVICE_FILES.key)).toString('utf8')).export({ format: 'jwk' });
    keys = await importDeviceKeys({ ciphersuite: meta.ciphersuite, privateJwk: jwk as JsonWebKey });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path.join(dir, DEVICE_FILES.key)} is not a cipher suite ${meta.ciphersuite} private key: ${(e as Error).message}`);
  }
  const leaf = parseCertificate(chainDer[0]!);
  if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(keys.subjectPublicKeyInfo))) {
    throw new UsageError(`${path.join(dir, DEVICE_FILES.key)} is not the key of the certificate in ${DEVICE_FILES.chain}`);
  }
  const identity = identityOf(chainDer);
  if (identity.kind !== 'device' || identity.deviceId !== meta.deviceId) {
    throw new UsageError(`${DEVICE_FILES.chain} names another device than ${DEVICE_FILES.meta}`);
  }
  const lifetime = leaf.notAfter.getTime() - leaf.notBefore.getTime();
  const certificate: DeviceCertificate = {
    deviceId: meta.deviceId,
    certificateId: meta.certificateId,
    serial: leaf.serialNumber,
    sha256: createHash('sha256').update(chainDer[0]!).digest('hex'),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    renewAfter: new Date(leaf.notBefore.getTime() + (lifetime * 2) / 3),
    chainDer,
    chainPem,
    credential: encodeX509Credential(chainDer),
  };
  return { device: { org: identity.org, accountId: identity.accountId, deviceId: meta.deviceId, keys, certificate }, meta };
}
