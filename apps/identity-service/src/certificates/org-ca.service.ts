import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, webcrypto } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { createIntermediateCa, createRootCa, EndEntityTemplate, parseCertificate, type CertificateIssuer, type TbsSigner } from '#x509-profile';
import { AuditService } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { PgListeners } from '../database/index.js';
import { type KeyAlgorithm, KEY_STORE, type KeyStore } from '../keys/index.js';
import { effectiveSettings, type Org, OrgsService } from '../orgs/index.js';
import { OutboxService } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import { OrgCa } from './ca.entity.js';
import { CertificateRepository } from './certificate.repository.js';
import { CERTIFICATE_STATUS_CHANNEL } from './certificate-status-channel.js';
import { CertificateErrors } from './certificates.errors.js';
import { CRL_REASON, type RevocationReason } from './revocation-reason.js';
import { CrlService } from './crl.service.js';
import { issuerSigner } from './issuer-signer.js';

/** The signing CA as issuance needs it: its row and a (non-extractable) signing key. */
export interface ActiveIssuer {
  ca: OrgCa;
  issuer: CertificateIssuer;
  /** The end-entity profile with this issuer's parts encoded once, and its signer. */
  template: EndEntityTemplate;
  sign: TbsSigner;
}

/**
 * Issuers are cached this long at most. Rotations and revocations do not wait for it: they are
 * broadcast on CA_CHANNEL (delivered on commit), and every replica drops the org's issuer at
 * once; after a lost LISTEN connection, the whole cache.
 */
const ISSUER_CACHE_MS = 30_000;

/** NOTIFY channel of CA changes (rotation, revocation); the payload is the org id. */
export const CA_CHANNEL = 'mlsid_ca_changed';

const KEY_ALGORITHM: Record<'Ed25519' | 'P-256', KeyAlgorithm> = { Ed25519: 'Ed25519', 'P-256': 'ECDSA-P256' };
const WEBCRYPTO_PUBLIC: Record<KeyAlgorithm, Algorithm | EcKeyImportParams> = {
  Ed25519: { name: 'Ed25519' },
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams,
  'ECDSA-P384': { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyImportParams,
};

/**
 * Each org's CA hierarchy: a root, and an intermediate (name-constrained to the org) that
 * signs device certificates. Created with the org; rotated without breaking devices: a
 * rotated-out CA is `retired`, stays in the trust bundle while anything it signed is
 * unexpired, and signs nothing new.
 */
@Injectable()
export class OrgCaService implements OnModuleInit, OnApplicationBootstrap {
  private readonly log = new Logger(OrgCaService.name);
  private readonly issuers = new Map<string, { value: ActiveIssuer; at: number }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly orgs: OrgsService,
    private readonly crls: CrlService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly certificates: CertificateRepository,
    private readonly listeners: PgListeners,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listeners.open({
      channels: [CA_CHANNEL],
      onNotification: (_channel, orgId) => this.issuers.delete(orgId),
      // A rotation committed while the connection was down was never notified to us.
      onReconnect: () => {
        this.log.warn('CA listener reconnected; dropping every cached issuer');
        this.issuers.clear();
      },
    });
  }

  /** Tells every replica (this one included) to drop the org's issuer when `m` commits. */
  private async broadcast(m: EntityManager, orgId: string): Promise<void> {
    await m.query(`SELECT pg_notify($1, $2)`, [CA_CHANNEL, orgId]);
  }

  onModuleInit(): void {
    this.orgs.onOrgCreated(async (m, org) => {
      await this.createHierarchy(m, org);
    });
  }

  crlUrl(orgSlug: string, caId: string): string {
    return `${this.config.publicUrl}/pki/${orgSlug}/crl/${caId}.crl`;
  }

  private async keyPair(m: EntityManager, keyId: string): Promise<CryptoKeyPair> {
    const handle = await this.keys.get(keyId, m);
    const publicKey = await webcrypto.subtle.importKey('spki', handle.publicKey, WEBCRYPTO_PUBLIC[handle.algorithm], true, ['verify']);
    return { publicKey, privateKey: await this.keys.signingCryptoKey(keyId, m) };
  }

  private async insertCa(
    m: EntityManager,
    row: Pick<OrgCa, 'orgId' | 'kind' | 'parentId' | 'keyId'>,
    issued: { der: Uint8Array; serialNumber: string; notBefore: Date; notAfter: Date; sha256: Uint8Array },
  ): Promise<OrgCa> {
    return m.save(
      m.create(OrgCa, {
        ...row,
        der: Buffer.from(issued.der),
        sha256: Buffer.from(issued.sha256),
        serial: issued.serialNumber,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        status: 'active',
      }),
    );
  }

  private async createRoot(m: EntityManager, org: Org, algorithm: KeyAlgorithm): Promise<OrgCa> {
    const key = await this.keys.generate(org.id, 'ca-root', algorithm, m);
    const issued = await createRootCa({ org: { slug: org.slug, name: org.name }, keys: await this.keyPair(m, key.id) });
    const root = await this.insertCa(m, { orgId: org.id, kind: 'root', parentId: null, keyId: key.id }, issued);
    await this.crls.refresh(m, root.id);
    return root;
  }

  private async createIntermediate(m: EntityManager, org: Org, root: OrgCa, algorithm: KeyAlgorithm): Promise<OrgCa> {
    const key = await this.keys.generate(org.id, 'ca-intermediate', algorithm, m);
    const pair = await this.keyPair(m, key.id);
    const issued = await createIntermediateCa({
      org: { slug: org.slug, name: org.name },
      publicKey: pair.publicKey,
      issuer: { certificate: root.der, privateKey: await this.keys.signingCryptoKey(root.keyId, m) },
      crlDistributionPoint: this.crlUrl(org.slug, root.id),
      // Fixed at creation: a change of the setting reaches the constraint at the next rotation.
      permittedEmailDomains: effectiveSettings(org.settings).certificates.verifiedEmailDomains,
    });
    const inter = await this.insertCa(m, { orgId: org.id, kind: 'intermediate', parentId: root.id, keyId: key.id }, issued);
    await this.crls.refresh(m, inter.id);
    return inter;
  }

  /** Root and intermediate for a new org, inside the org-creation transaction. */
  async createHierarchy(m: EntityManager, org: Org): Promise<{ root: OrgCa; intermediate: OrgCa }> {
    const algorithm = KEY_ALGORITHM[effectiveSettings(org.settings).certificates.caAlgorithm];
    const root = await this.createRoot(m, org, algorithm);
    const intermediate = await this.createIntermediate(m, org, root, algorithm);
    return { root, intermediate };
  }

  /**
   * Rotation: `intermediate` makes a new intermediate under the active root; `root` makes a
   * new root and intermediate. The old ones retire: still trusted, no longer signing.
   */
  async rotate(actor: string, org: Org, level: 'root' | 'intermediate'): Promise<{ root: OrgCa; intermediate: OrgCa }> {
    return (await this.rotateUnless(actor, org, level, () => false))!;
  }

  /**
   * Rotates the intermediate `expiringId` before it lapses, if it is still the active one: decided
   * under the org lock, so replicas that find the same CA expiring rotate it once. Undefined when
   * another replica already did.
   */
  async rotateIntermediateIfStillActive(actor: string, org: Org, expiringId: string): Promise<{ root: OrgCa; intermediate: OrgCa } | undefined> {
    return this.rotateUnless(actor, org, 'intermediate', (_root, inter) => inter.id !== expiringId);
  }

  private async rotateUnless(
    actor: string,
    org: Org,
    level: 'root' | 'intermediate',
    skip: (root: OrgCa, intermediate: OrgCa) => boolean,
  ): Promise<{ root: OrgCa; intermediate: OrgCa } | undefined> {
    const algorithm = KEY_ALGORITHM[effectiveSettings(org.settings).certificates.caAlgorithm];
    const result = await this.dataSource.transaction(async (m) => {
      // Serialises concurrent rotations of the same org.
      await this.orgs.lock(m, org.id);
      const active = await m.find(OrgCa, { where: { orgId: org.id, status: 'active' } });
      const oldRoot = active.find((c) => c.kind === 'root');
      const oldInter = active.find((c) => c.kind === 'intermediate');
      if (!oldRoot || !oldInter) throw CertificateErrors.error('ca_hierarchy_missing', `org "${org.slug}" has no active CA hierarchy`);
      if (skip(oldRoot, oldInter)) return undefined;
      await m.update(OrgCa, { id: oldInter.id }, { status: 'retired' });
      let root = oldRoot;
      if (level === 'root') {
        await m.update(OrgCa, { id: oldRoot.id }, { status: 'retired' });
        root = await this.createRoot(m, org, algorithm);
      }
      const intermediate = await this.createIntermediate(m, org, root, algorithm);
      const now = new Date().toISOString();
      await this.outbox.enqueue(
        m,
        ktAppend({
          type: 'ca_rotated',
          orgId: org.id,
          certificateSha256: intermediate.sha256.toString('hex'),
          reason: level === 'root' ? `root ${root.sha256.toString('hex')}` : 'intermediate',
          timestamp: now,
        }),
      );
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: `ca.rotate.${level}`,
        target: `ca:${intermediate.id}`,
        details: { retired: level === 'root' ? [oldRoot.id, oldInter.id] : [oldInter.id], root: root.id },
      });
      await this.broadcast(m, org.id);
      return { root, intermediate };
    });
    this.issuers.delete(org.id);
    return result;
  }

  /**
   * Key compromise of an org intermediate: it is revoked (listed on the root's CRL, dropped from
   * the trust bundle), every live certificate it signed is revoked with it, and, if it was the
   * signing intermediate, a new one takes over in the same transaction. Devices whose
   * certificates it signed must enroll again under the new intermediate.
   */
  async revokeIntermediate(
    actor: string,
    org: Org,
    caId: string,
    reason: RevocationReason,
  ): Promise<{ revoked: OrgCa; intermediate: OrgCa; certificatesRevoked: number }> {
    const algorithm = KEY_ALGORITHM[effectiveSettings(org.settings).certificates.caAlgorithm];
    const result = await this.dataSource.transaction(async (m) => {
      await this.orgs.lock(m, org.id);
      const ca = await m.findOneBy(OrgCa, { orgId: org.id, id: caId });
      if (!ca) throw CertificateErrors.error('ca_not_found', `no CA ${caId} in org "${org.slug}"`);
      if (ca.kind !== 'intermediate' || ca.status === 'revoked') {
        throw CertificateErrors.error('ca_not_revocable', `CA ${caId} is ${ca.status === 'revoked' ? 'already revoked' : 'a root'}`);
      }
      const now = new Date();
      const code = CRL_REASON[reason];
      // First, so that the replacement can be the org's one active intermediate.
      await m.update(OrgCa, { id: ca.id }, { status: 'revoked', revokedAt: now, revocationReason: code });
      let intermediate = await m.findOneBy(OrgCa, { orgId: org.id, kind: 'intermediate', status: 'active' });
      if (!intermediate) {
        const root = await m.findOneBy(OrgCa, { orgId: org.id, kind: 'root', status: 'active' });
        if (!root) throw CertificateErrors.error('ca_hierarchy_missing', `org "${org.slug}" has no active root to sign a new intermediate`);
        intermediate = await this.createIntermediate(m, org, root, algorithm);
      }
      const certificatesRevoked = await this.certificates.revokeLiveOfCa(m, org.id, ca.id, now, code);
      // The root's CRL lists the intermediate from this commit on.
      if (ca.parentId) await this.crls.refresh(m, ca.parentId);
      await this.outbox.enqueue(
        m,
        ktAppend({
          type: 'ca_rotated',
          orgId: org.id,
          certificateSha256: intermediate.sha256.toString('hex'),
          reason: `revoked ${ca.sha256.toString('hex')} ${reason}`,
          timestamp: now.toISOString(),
        }),
      );
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'ca.revoke',
        target: `ca:${ca.id}`,
        details: { reason, certificatesRevoked, signingIntermediate: intermediate.id },
      });
      await this.broadcast(m, org.id);
      await m.query(`SELECT pg_notify($1, $2)`, [CERTIFICATE_STATUS_CHANNEL, org.id]);
      return { revoked: { ...ca, status: 'revoked' as const, revokedAt: now, revocationReason: code }, intermediate, certificatesRevoked };
    });
    this.issuers.delete(org.id);
    return result;
  }

  /** The CAs whose expiry is watched: every org's active root and intermediate. */
  async activeCas(): Promise<OrgCa[]> {
    return this.dataSource.getRepository(OrgCa).find({ where: { status: 'active' }, order: { createdAt: 'ASC' } });
  }

  /** The intermediate that signs today, with its signing key (cached briefly: a hot path). */
  async activeIssuer(orgId: string, m?: EntityManager): Promise<ActiveIssuer> {
    const cached = this.issuers.get(orgId);
    if (cached && Date.now() - cached.at < ISSUER_CACHE_MS) return cached.value;
    const manager = m ?? this.dataSource.manager;
    const ca = await manager.findOneBy(OrgCa, { orgId, kind: 'intermediate', status: 'active' });
    if (!ca) throw CertificateErrors.error('no_active_ca', 'the org has no active intermediate CA');
    // Parsed once here rather than on every issuance: certificate parsing is a large share of its cost.
    const issuer = { certificate: parseCertificate(new Uint8Array(ca.der)), privateKey: await this.keys.signingCryptoKey(ca.keyId, m) };
    const template = new EndEntityTemplate(issuer);
    const value: ActiveIssuer = { ca, issuer, template, sign: issuerSigner(issuer.privateKey, template.signatureAlgorithm) };
    this.issuers.set(orgId, { value, at: Date.now() });
    return value;
  }

  /**
   * CAs relying parties must trust: active ones, and retired ones while a certificate they
   * (or, for a root, its intermediates) signed is still unexpired.
   */
  async trusted(orgId: string, kind: 'root' | 'intermediate'): Promise<OrgCa[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT c.id FROM ca c
        WHERE c.org_id = $1 AND c.kind = $2 AND c.not_after > now()
          AND (c.status = 'active'
               OR (c.status = 'retired' AND EXISTS (
                     SELECT 1 FROM certificate x
                      WHERE x.not_after > now() AND x.status <> 'revoked'
                        AND (x.ca_id = c.id OR x.ca_id IN (SELECT i.id FROM ca i WHERE i.parent_id = c.id)))))
        ORDER BY c.created_at`,
      [orgId, kind],
    );
    if (rows.length === 0) return [];
    return this.dataSource.getRepository(OrgCa).find({ where: rows.map((r) => ({ id: r.id })), order: { createdAt: 'ASC' } });
  }

  async byId(orgId: string, caId: string): Promise<OrgCa | null> {
    return this.dataSource.getRepository(OrgCa).findOneBy({ orgId, id: caId });
  }

  static fingerprint(der: Uint8Array): string {
    return createHash('sha256').update(der).digest('hex');
  }
}
