import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { ciphersuites, type CiphersuiteName, type GroupContext } from 'ts-mls';
import {
  availableCiphersuites,
  ciphersuiteSignature,
  externalSendersOf,
  SUPPORTED_CIPHERSUITES,
  type MlsSigner,
  type SignatureKeyAlgorithm,
} from '#mls';
import { describePublicKey } from '#x509-profile';
import { CertificateAuthorityService } from '../certificates/index.js';
import { KEY_STORE, type KeyAlgorithm, type KeyStore } from '../keys/index.js';
import { MlsExternalSender } from './external-sender.entity.js';
import { RemovalErrors } from './removals.errors.js';

/** The custody key algorithm holding each signature key algorithm of the #mls cipher-suite table. */
const CUSTODY_KEY_ALGORITHM: Readonly<Record<SignatureKeyAlgorithm, KeyAlgorithm>> = {
  Ed25519: 'Ed25519',
  'P-256': 'ECDSA-P256',
  'P-384': 'ECDSA-P384',
};
/** We act as external sender in every suite the project supports. */
export const EXTERNAL_SENDER_CIPHERSUITES: readonly number[] = SUPPORTED_CIPHERSUITES;

/** Re-certify the (unchanged) key this long before its certificate expires. */
const RENEW_BEFORE_MS = 7 * 86_400_000;
const CACHE_MS = 5 * 60_000;
/** How long a replica keeps the set of senders that sign (a rotation elsewhere shows within this). */
const SIGNING_CACHE_MS = 5_000;

export function ciphersuiteCode(name: CiphersuiteName): number {
  return ciphersuites[name];
}

export function ciphersuiteName(code: number): CiphersuiteName | undefined {
  return (Object.keys(ciphersuites) as CiphersuiteName[]).find((n) => ciphersuites[n] === code);
}

/**
 * The org's external sender per cipher suite: a signature key that never leaves the KeyStore
 * and a certificate from the org CA naming `mls-identity://{org}/service/removal`. Created
 * on first use (under an advisory lock, so replicas agree on one key); re-certified before
 * its certificate expires without changing the key, because groups list the key.
 */
@Injectable()
export class ExternalSenderService {
  private readonly cache = new Map<string, { row: MlsExternalSender; until: number }>();
  private readonly signing = new Map<string, { rows: MlsExternalSender[]; until: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    private readonly ca: CertificateAuthorityService,
  ) {}

  async ensure(orgId: string, ciphersuite: number): Promise<MlsExternalSender> {
    const cacheKey = `${orgId}:${ciphersuite}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.row;
    const algorithm = this.custodyAlgorithm(ciphersuite);
    const row = await this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mls_external_sender:${cacheKey}`]);
      const existing = await m.findOneBy(MlsExternalSender, { orgId, ciphersuite, status: 'current' });
      // Re-certified before expiry, and at once when its certificate was revoked with its CA.
      if (existing && existing.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS && (await this.ca.isLive(m, orgId, existing.certificateId))) {
        return existing;
      }
      return this.certify(m, orgId, ciphersuite, algorithm, existing);
    });
    this.cache.set(cacheKey, { row, until: Math.min(Date.now() + CACHE_MS, row.notAfter.getTime() - RENEW_BEFORE_MS) });
    return row;
  }

  /**
   * Certifies the sender's key (a new one when there is no `existing` sender, or on rotation)
   * and stores it as the suite's current sender, in `m` (under the caller's advisory lock).
   */
  async certify(
    m: EntityManager,
    orgId: string,
    ciphersuite: number,
    algorithm: KeyAlgorithm,
    existing?: MlsExternalSender | null,
  ): Promise<MlsExternalSender> {
    const keyId = existing?.keyId ?? (await this.keys.generate(orgId, `mls-external-sender:${ciphersuite}`, algorithm, m)).id;
    const handle = await this.keys.get(keyId, m);
    const issued = await this.ca.issueServiceCertificate(m, {
      orgId,
      service: 'removal',
      ciphersuite,
      subjectPublicKeyInfo: handle.publicKey,
    });
    const values = {
      orgId,
      ciphersuite,
      keyId,
      signatureKey: Buffer.from(describePublicKey(handle.publicKey).rawKey),
      certificateId: issued.certificateId,
      credential: Buffer.from(issued.credential),
      notAfter: issued.notAfter,
    };
    if (existing) {
      await m.update(MlsExternalSender, { id: existing.id }, values);
      return m.findOneByOrFail(MlsExternalSender, { id: existing.id });
    }
    return m.save(m.create(MlsExternalSender, { ...values, status: 'current' as const }));
  }

  /** The custody algorithm of a supported suite's sender key. */
  custodyAlgorithm(ciphersuite: number): KeyAlgorithm {
    if (!SUPPORTED_CIPHERSUITES.includes(ciphersuite)) {
      throw RemovalErrors.error('unsupported_ciphersuite', `ciphersuite ${ciphersuite} is not supported for external senders`);
    }
    return CUSTODY_KEY_ALGORITHM[ciphersuiteSignature(ciphersuite).keyAlgorithm];
  }

  /** Drops what this replica cached of the org's senders (after a rotation here; other replicas within the cache times). */
  forget(orgId: string): void {
    for (const cache of [this.cache, this.signing]) {
      for (const key of [...cache.keys()]) if (key.startsWith(`${orgId}:`)) cache.delete(key);
    }
  }

  /**
   * The senders to publish: one per supported suite that ts-mls can build here. A suite whose
   * optional peer package is missing is not advertised (groups of it could never be reported
   * or receive a Remove), rather than advertised and then refused with 422s.
   */
  async all(orgId: string): Promise<MlsExternalSender[]> {
    const available = new Set(await availableCiphersuites());
    return Promise.all(EXTERNAL_SENDER_CIPHERSUITES.filter((suite) => available.has(suite)).map((suite) => this.ensure(orgId, suite)));
  }

  /**
   * The senders to publish with their status: the current one per suite, then, during a
   * rotation, the retiring one groups still list (marked, so clients put only current ones in
   * new groups).
   */
  async published(orgId: string): Promise<MlsExternalSender[]> {
    const current = await this.all(orgId);
    const retiring = await this.dataSource
      .getRepository(MlsExternalSender)
      .find({ where: { orgId, status: 'retiring' }, order: { ciphersuite: 'ASC' } });
    const suites = new Set(current.map((s) => s.ciphersuite));
    return [...current, ...retiring.filter((s) => suites.has(s.ciphersuite))];
  }

  /**
   * Signs RFC 9420 §5.1.2 SignContent in custody. ECDSA signatures are DER (ASN.1
   * Ecdsa-Sig-Value), the encoding MLS stacks (ts-mls included) produce and verify.
   */
  signer(sender: MlsExternalSender): MlsSigner {
    return (signContent) => this.keys.sign(sender.keyId, signContent, { dsaEncoding: 'der' });
  }

  /**
   * The org's senders that may sign for groups of the suite: the current one and, during a
   * rotation, the retiring one groups that have not committed the swap still list. Cached
   * briefly: groups report and authorize often, and a rotation changes the set rarely.
   */
  async signingSenders(orgId: string, ciphersuite: number): Promise<MlsExternalSender[]> {
    const key = `${orgId}:${ciphersuite}`;
    const hit = this.signing.get(key);
    if (hit && hit.until > Date.now()) return hit.rows;
    // read from the table, not ensure()'s longer cache: after a rotation on another replica,
    // groups that moved to the new key must get their Removes signed within seconds
    const rows = await this.dataSource
      .getRepository(MlsExternalSender)
      .find({ where: { orgId, ciphersuite, status: In(['current', 'retiring']) }, order: { createdAt: 'DESC' } });
    if (!rows.some((r) => r.status === 'current')) rows.unshift(await this.ensure(orgId, ciphersuite));
    rows.sort((a, b) => (a.status === b.status ? 0 : a.status === 'current' ? -1 : 1));
    this.signing.set(key, { rows, until: Date.now() + SIGNING_CACHE_MS });
    return rows;
  }

  /**
   * Which of our senders the group's external_senders lists (malformed lists: none): the one
   * that signs its Removes. During a rotation that is the old key until the group commits the
   * swap, the new one after, so no removal waits on the rotation.
   */
  async listedIn(orgId: string, groupContext: GroupContext): Promise<MlsExternalSender | undefined> {
    const code = ciphersuiteCode(groupContext.cipherSuite);
    if (!SUPPORTED_CIPHERSUITES.includes(code)) return undefined;
    const ours = await this.signingSenders(orgId, code);
    let listed;
    try {
      listed = externalSendersOf(groupContext) ?? [];
    } catch {
      return undefined;
    }
    return ours.find((o) => listed.some((s) => Buffer.from(s.signaturePublicKey).equals(o.signatureKey)));
  }
}
