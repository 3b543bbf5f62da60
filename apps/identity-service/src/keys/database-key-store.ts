import { createPrivateKey, generateKeyPairSync, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { CustodyKey, type KeyAlgorithm } from './custody-key.entity.js';
import type { KeyHandle, KeyStore, SignOptions } from './key-store.js';
import { KeyCustodyMismatchError, KeyNotFoundError, KeyRetiredError } from './keys.errors.js';
import type { SecretBox } from './secret-box.js';

/** How long another replica may keep signing with a key after it was retired elsewhere. */
const CACHE_TTL_MS = 60_000;

interface Unsealed {
  loadedAt: number;
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  pkcs8: Buffer;
  crypto?: CryptoKey;
}

const WEBCRYPTO: Record<KeyAlgorithm, EcKeyImportParams | Algorithm> = {
  Ed25519: { name: 'Ed25519' },
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams,
  'ECDSA-P384': { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyImportParams,
};

function generatePair(algorithm: KeyAlgorithm): { publicKey: Buffer; pkcs8: Buffer } {
  const pair =
    algorithm === 'Ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: algorithm === 'ECDSA-P256' ? 'prime256v1' : 'secp384r1' });
  return {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }),
    pkcs8: pair.privateKey.export({ type: 'pkcs8', format: 'der' }),
  };
}

export function toHandle(row: CustodyKey): KeyHandle {
  return {
    id: row.id,
    orgId: row.orgId,
    purpose: row.purpose,
    algorithm: row.algorithm,
    publicKey: new Uint8Array(row.publicKey),
    custody: row.custody,
    status: row.status,
    createdAt: row.createdAt,
  };
}

/**
 * Default KeyStore: private keys as PKCS#8 sealed under the KEK in PostgreSQL. Unsealed
 * keys are cached in memory because issuance and checkpoint signing are hot paths; rows
 * are immutable except for retirement, which this process also drops from the cache.
 */
export class DatabaseKeyStore implements KeyStore {
  private readonly repo: Repository<CustodyKey>;
  private readonly cache = new Map<string, Unsealed>();

  constructor(
    dataSource: DataSource,
    private readonly box: SecretBox,
  ) {
    this.repo = dataSource.getRepository(CustodyKey);
  }

  private context(id: string): string {
    return `custody_key:${id}`;
  }

  private repository(manager?: EntityManager): Repository<CustodyKey> {
    return manager ? manager.getRepository(CustodyKey) : this.repo;
  }

  async generate(orgId: string | null, purpose: string, algorithm: KeyAlgorithm, manager?: EntityManager): Promise<KeyHandle> {
    const { publicKey, pkcs8 } = generatePair(algorithm);
    const id = webcrypto.randomUUID();
    const repo = this.repository(manager);
    const row = repo.create({
      id,
      orgId,
      purpose,
      algorithm,
      publicKey,
      privateKeySealed: this.box.seal(pkcs8, this.context(id)),
      status: 'active',
    });
    await repo.insert(row);
    const saved = await repo.findOneByOrFail({ id });
    return toHandle(saved);
  }

  async get(keyId: string, manager?: EntityManager): Promise<KeyHandle> {
    const row = await this.repository(manager).findOneBy({ id: keyId });
    if (!row) throw new KeyNotFoundError(keyId);
    return toHandle(row);
  }

  async list(orgId: string | null, purpose?: string): Promise<KeyHandle[]> {
    const qb = this.repo.createQueryBuilder('k').orderBy('k.created_at', 'ASC');
    if (orgId === null) qb.where('k.org_id IS NULL');
    else qb.where('k.org_id = :orgId', { orgId });
    if (purpose) qb.andWhere('k.purpose = :purpose', { purpose });
    return (await qb.getMany()).map(toHandle);
  }

  private async unsealed(keyId: string, manager?: EntityManager): Promise<Unsealed> {
    const cached = this.cache.get(keyId);
    if (cached && Date.now() - cached.loadedAt < CACHE_TTL_MS) return cached;
    const row = await this.repository(manager).findOneBy({ id: keyId });
    if (!row) throw new KeyNotFoundError(keyId);
    if (row.status !== 'active') throw new KeyRetiredError(keyId);
    if (row.custody !== 'database' || !row.privateKeySealed) throw new KeyCustodyMismatchError(keyId, row.custody);
    const pkcs8 = this.box.open(row.privateKeySealed, this.context(row.id));
    const entry: Unsealed = {
      loadedAt: Date.now(),
      algorithm: row.algorithm,
      pkcs8,
      privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    };
    this.cache.set(keyId, entry);
    return entry;
  }

  async sign(keyId: string, data: Uint8Array, options: SignOptions = {}, manager?: EntityManager): Promise<Uint8Array> {
    const key = await this.unsealed(keyId, manager);
    if (key.algorithm === 'Ed25519') return new Uint8Array(cryptoSign(null, data, key.privateKey));
    const hash = key.algorithm === 'ECDSA-P256' ? 'sha256' : 'sha384';
    return new Uint8Array(cryptoSign(hash, data, { key: key.privateKey, dsaEncoding: options.dsaEncoding ?? 'der' }));
  }

  async signingCryptoKey(keyId: string, manager?: EntityManager): Promise<CryptoKey> {
    const key = await this.unsealed(keyId, manager);
    key.crypto ??= await webcrypto.subtle.importKey('pkcs8', key.pkcs8, WEBCRYPTO[key.algorithm], false, ['sign']);
    return key.crypto;
  }

  async retire(keyId: string): Promise<void> {
    const result = await this.repo.update({ id: keyId, status: 'active' }, { status: 'retired', retiredAt: new Date() });
    this.cache.delete(keyId);
    if (!result.affected) await this.get(keyId);
  }
}
