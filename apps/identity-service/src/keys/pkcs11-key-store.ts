import { AsnEcSignatureFormatter } from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';
import type { DataSource, EntityManager, Repository } from 'typeorm';
import { externalSigningKey, type ExternalKeyAlgorithm } from '#x509-profile';
import { CustodyKey, type KeyAlgorithm } from './custody-key.entity.js';
import { toHandle, type DatabaseKeyStore } from './database-key-store.js';
import type { KeyHandle, KeyStore, SignOptions } from './key-store.js';
import { KeyNotFoundError, KeyRetiredError, KeyStoreUnavailableError } from './keys.errors.js';
import type { Pkcs11Token } from './pkcs11-token.js';

/** Every algorithm the service generates keys for: CA keys, external senders, log keys (Ed25519). */
export const REQUIRED_ALGORITHMS: readonly KeyAlgorithm[] = ['Ed25519', 'ECDSA-P256', 'ECDSA-P384'];

/** How long another replica may keep signing with a key after it was retired elsewhere (as the database store). */
const STATUS_TTL_MS = 60_000;

const EXTERNAL_ALGORITHM: Record<KeyAlgorithm, ExternalKeyAlgorithm> = {
  Ed25519: { name: 'Ed25519' },
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' },
  'ECDSA-P384': { name: 'ECDSA', namedCurve: 'P-384' },
};

/** X.509 and MLS carry ECDSA as DER Ecdsa-Sig-Value; the token returns r‖s (IEEE P1363). */
function derSignature(algorithm: KeyAlgorithm, p1363: Buffer): Buffer {
  const der = new AsnEcSignatureFormatter().toAsnSignature(EXTERNAL_ALGORITHM[algorithm] as EcKeyAlgorithm, new Uint8Array(p1363).buffer);
  if (!der) throw new KeyStoreUnavailableError('the token returned an ECDSA signature of unexpected size');
  return Buffer.from(der);
}

interface Known {
  row: CustodyKey;
  at: number;
  crypto?: CryptoKey;
}

/**
 * KeyStore whose private keys are generated in, and never leave, a PKCS#11 token: CA,
 * external-sender and log keys are created with CKA_SENSITIVE and without CKA_EXTRACTABLE and
 * used only through C_Sign. The custody row keeps the public key and metadata; the token finds
 * the private key by CKA_ID = the row's id. Keys sealed in the database before the switch to a
 * token keep working through the database store until they are rotated out.
 */
export class Pkcs11KeyStore implements KeyStore {
  private readonly repo: Repository<CustodyKey>;
  private readonly known = new Map<string, Known>();

  constructor(
    dataSource: DataSource,
    readonly token: Pkcs11Token,
    private readonly legacy: DatabaseKeyStore | undefined,
  ) {
    this.repo = dataSource.getRepository(CustodyKey);
    const missing = token.unsupported(REQUIRED_ALGORITHMS);
    if (missing.length > 0) {
      throw new KeyStoreUnavailableError(
        `${token.description} cannot hold every key the service needs (${missing
          .map((m) => `${m.algorithm}: no ${m.missing.join(', ')}`)
          .join('; ')}); refusing to start rather than keep those keys outside the token`,
      );
    }
  }

  private repository(manager?: EntityManager): Repository<CustodyKey> {
    return manager ? manager.getRepository(CustodyKey) : this.repo;
  }

  async generate(orgId: string | null, purpose: string, algorithm: KeyAlgorithm, manager?: EntityManager): Promise<KeyHandle> {
    const id = webcrypto.randomUUID();
    // A rolled-back caller leaves an unreferenced key in the token: harmless, it signs nothing.
    const publicKey = await this.token.generate(id, `mlsid ${purpose} ${id}`, algorithm);
    const repo = this.repository(manager);
    await repo.insert(repo.create({ id, orgId, purpose, algorithm, publicKey, privateKeySealed: null, custody: 'pkcs11', status: 'active' }));
    return toHandle(await repo.findOneByOrFail({ id }));
  }

  async get(keyId: string, manager?: EntityManager): Promise<KeyHandle> {
    const row = await this.repository(manager).findOneBy({ id: keyId });
    if (!row) throw new KeyNotFoundError(keyId);
    return toHandle(row);
  }

  list(orgId: string | null, purpose?: string): Promise<KeyHandle[]> {
    return (this.legacy ?? this.listRows()).list(orgId, purpose);
  }

  private listRows(): Pick<KeyStore, 'list'> {
    return {
      list: async (orgId, purpose) => {
        const qb = this.repo.createQueryBuilder('k').orderBy('k.created_at', 'ASC');
        if (orgId === null) qb.where('k.org_id IS NULL');
        else qb.where('k.org_id = :orgId', { orgId });
        if (purpose) qb.andWhere('k.purpose = :purpose', { purpose });
        return (await qb.getMany()).map(toHandle);
      },
    };
  }

  private async active(keyId: string, manager?: EntityManager): Promise<Known> {
    const cached = this.known.get(keyId);
    if (cached && Date.now() - cached.at < STATUS_TTL_MS) return cached;
    const row = await this.repository(manager).findOneBy({ id: keyId });
    if (!row) throw new KeyNotFoundError(keyId);
    if (row.status !== 'active') throw new KeyRetiredError(keyId);
    const entry: Known = { row, at: Date.now(), crypto: cached?.crypto };
    this.known.set(keyId, entry);
    return entry;
  }

  /** What the token signs: the message for Ed25519, its SHA-256/384 digest for ECDSA. */
  private async rawSign(row: CustodyKey, data: Uint8Array): Promise<Buffer> {
    if (row.algorithm === 'Ed25519') return this.token.sign(row.id, row.algorithm, data);
    const digest = createHash(row.algorithm === 'ECDSA-P256' ? 'sha256' : 'sha384')
      .update(data)
      .digest();
    return this.token.sign(row.id, row.algorithm, digest);
  }

  async sign(keyId: string, data: Uint8Array, options: SignOptions = {}, manager?: EntityManager): Promise<Uint8Array> {
    const { row } = await this.active(keyId, manager);
    if (row.custody === 'database') return this.requireLegacy(keyId).sign(keyId, data, options, manager);
    const raw = await this.rawSign(row, data);
    if (row.algorithm === 'Ed25519' || options.dsaEncoding === 'ieee-p1363') return new Uint8Array(raw);
    return new Uint8Array(derSignature(row.algorithm, raw));
  }

  async signingCryptoKey(keyId: string, manager?: EntityManager): Promise<CryptoKey> {
    const known = await this.active(keyId, manager);
    if (known.row.custody === 'database') return this.requireLegacy(keyId).signingCryptoKey(keyId, manager);
    known.crypto ??= externalSigningKey(EXTERNAL_ALGORITHM[known.row.algorithm], async (data) => {
      // Checked on every signature, not just when the key was handed out: a retired key stops.
      const { row } = await this.active(keyId);
      return this.rawSign(row, data);
    });
    return known.crypto;
  }

  async retire(keyId: string): Promise<void> {
    const result = await this.repo.update({ id: keyId, status: 'active' }, { status: 'retired', retiredAt: new Date() });
    this.known.delete(keyId);
    if (!result.affected) await this.get(keyId);
  }

  private requireLegacy(keyId: string): DatabaseKeyStore {
    if (!this.legacy) throw new KeyStoreUnavailableError(`key ${keyId} is sealed in the database but no KEK is configured`);
    return this.legacy;
  }

  close(): void {
    this.token.close();
  }
}
