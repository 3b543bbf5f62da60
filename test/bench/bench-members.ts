import { createHash, webcrypto } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  defaultCapabilities,
  defaultLifetime,
  generateKeyPackageWithKey,
  type CiphersuiteName,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import type { DataSource } from 'typeorm';
import { ciphersuiteImpl, x509CredentialFromChain } from '#mls';
import { DeviceCertificationService } from '../../apps/identity-service/src/enrollment/device-certification.service.js';

export interface BenchMember {
  deviceId: string;
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

export async function benchAccount(ds: DataSource, orgId: string, name: string): Promise<string> {
  const [row] = await ds.query(`INSERT INTO account (org_id, user_name, email, display_name) VALUES ($1, $2, $2, $2) RETURNING id`, [orgId, name]);
  return row.id;
}

/** A device row, a real org-CA certificate and a KeyPackage carrying it (what enrollment ends in). */
export async function benchMember(
  app: INestApplication,
  ds: DataSource,
  orgId: string,
  accountId: string,
  suite: CiphersuiteName,
): Promise<BenchMember> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const { deviceId, chain } = await ds.transaction(async (m) => {
    const [row] = await m.query(
      `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
       VALUES ($1, $2, 'bench', 'linux', 1, $3, $4) RETURNING id`,
      [orgId, accountId, Buffer.from(spki), createHash('sha256').update(spki).digest()],
    );
    return { deviceId: row.id as string, chain: await app.get(DeviceCertificationService).certify(m, { orgId, deviceId: row.id }) };
  });
  const kp = await generateKeyPackageWithKey(
    x509CredentialFromChain(chain.chainDer),
    defaultCapabilities(),
    defaultLifetime,
    [],
    {
      signKey: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
      publicKey: new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey)),
    },
    await ciphersuiteImpl(suite),
  );
  return { deviceId, ...kp };
}
