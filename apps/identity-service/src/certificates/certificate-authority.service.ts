import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { encodeX509Credential } from '#mls';
import { encodePem, issueDeviceCertificate, issueServiceCertificate, type IssuedCertificate } from '#x509-profile';
import { effectiveSettings } from '../orgs/org-settings.js';
import { Org } from '../orgs/org.entity.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { ktAppend } from '../transparency/kt-event.js';
import { Certificate } from './certificate.entity.js';
import { OrgCaService } from './org-ca.service.js';
import { withX509Problems } from './x509-problem.js';

export interface IssuedChain {
  certificateId: string;
  serial: string;
  /** Hex SHA-256 of the leaf DER. */
  sha256: string;
  /** Leaf first, then the org intermediate: the RFC 9420 x509 credential order. */
  chainDer: Uint8Array[];
  chainPem: string;
  /** RFC 9420 §5.3 Credential (credential_type x509) bytes. */
  credential: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

interface SubjectRow {
  id: string;
  status: string;
  ciphersuite: number;
  signature_key: Buffer;
  signature_key_sha256: Buffer;
  account_id: string;
  active: boolean;
  deleted_at: Date | null;
  email: string | null;
  user_name: string;
  display_name: string | null;
  org_id: string;
  slug: string;
  org_name: string;
  settings: Record<string, unknown>;
}

/**
 * The authority: signs device (and service) certificates with the org's active
 * intermediate. It knows nothing of OIDC or SCIM; enrollment and renewal call it after
 * their own checks, inside their transactions.
 */
@Injectable()
export class CertificateAuthorityService {
  /** The intermediate's PEM, per (cached) CA certificate buffer. */
  private readonly pemCache = new WeakMap<Buffer, string>();

  constructor(
    private readonly cas: OrgCaService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Certifies the device's current signature key. In the caller's transaction; the device
   * must be active and its account active. Writes the certificate row and its KT entry.
   */
  async issueDeviceCertificate(
    m: EntityManager,
    req: { orgId: string; deviceId: string; event?: 'certificate_issued' | 'certificate_renewed' },
  ): Promise<IssuedChain> {
    // One round trip for everything issuance needs to know: this is the enrollment hot path.
    const [row]: SubjectRow[] = await m.query(
      `SELECT d.id, d.status, d.ciphersuite, d.signature_key, d.signature_key_sha256,
              a.id AS account_id, a.active, a.deleted_at, a.email, a.user_name, a.display_name,
              o.id AS org_id, o.slug, o.name AS org_name, o.settings
         FROM device d JOIN account a ON a.id = d.account_id JOIN org o ON o.id = d.org_id
        WHERE d.id = $1 AND d.org_id = $2`,
      [req.deviceId, req.orgId],
    );
    if (!row) throw new NotFoundException(`no device ${req.deviceId}`);
    if (row.status !== 'active') throw new ConflictException({ message: 'the device is revoked', reason: 'device_revoked' });
    if (!row.active || row.deleted_at) {
      throw new ConflictException({ message: 'the account is not active', reason: 'account_inactive' });
    }
    const device = { id: row.id, ciphersuite: row.ciphersuite, signatureKey: row.signature_key, signatureKeySha256: row.signature_key_sha256 };
    const account = { id: row.account_id, email: row.email, userName: row.user_name, displayName: row.display_name };
    const org = { id: row.org_id, slug: row.slug, name: row.org_name, settings: row.settings };
    const email = account.email ?? (account.userName.includes('@') ? account.userName : null);
    if (!email) {
      throw new UnprocessableEntityException({ message: 'the account has no email or UPN to certify', reason: 'account_has_no_email' });
    }
    const { ca, issuer } = await this.cas.activeIssuer(org.id, m);
    const issued: IssuedCertificate = await withX509Problems(() =>
      issueDeviceCertificate({
        org: { slug: org.slug, name: org.name },
        account: { id: account.id, displayName: account.displayName || account.userName, email },
        device: { id: device.id },
        ciphersuite: device.ciphersuite,
        subjectPublicKeyInfo: new Uint8Array(device.signatureKey),
        issuer,
        crlDistributionPoint: this.cas.crlUrl(org.slug, ca.id),
        lifetimeSeconds: effectiveSettings(org.settings).certificates.lifetimeDays * 86400,
      }),
    );
    const stored = await this.store(m, org.id, device.id, ca.id, issued, device.signatureKeySha256);
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: req.event ?? 'certificate_issued',
        orgId: org.id,
        accountId: account.id,
        deviceId: device.id,
        certificateSha256: stored.sha256.toString('hex'),
        signatureKeySha256: device.signatureKeySha256.toString('hex'),
        timestamp: stored.createdAt.toISOString(),
      }),
    );
    return this.chainOf(stored, ca.der, issued.pem);
  }

  /** A certificate for one of the org's own services (the MLS external sender). */
  async issueServiceCertificate(
    m: EntityManager,
    req: { orgId: string; service: 'removal'; ciphersuite: number; subjectPublicKeyInfo: Uint8Array },
  ): Promise<IssuedChain> {
    const org = await m.findOneByOrFail(Org, { id: req.orgId });
    const { ca, issuer } = await this.cas.activeIssuer(org.id, m);
    const issued = await withX509Problems(() =>
      issueServiceCertificate({
        org: { slug: org.slug, name: org.name },
        service: req.service,
        ciphersuite: req.ciphersuite,
        subjectPublicKeyInfo: req.subjectPublicKeyInfo,
        issuer,
        crlDistributionPoint: this.cas.crlUrl(org.slug, ca.id),
        lifetimeSeconds: 30 * 86400,
      }),
    );
    const keyHash = createHash('sha256').update(req.subjectPublicKeyInfo).digest();
    const row = await this.store(m, org.id, null, ca.id, issued, keyHash);
    return this.chainOf(row, ca.der, issued.pem);
  }

  private async store(
    m: EntityManager,
    orgId: string,
    deviceId: string | null,
    caId: string,
    issued: IssuedCertificate,
    subjectKeySha256: Buffer,
  ): Promise<Certificate> {
    const values = {
      orgId,
      deviceId,
      caId,
      serial: issued.serialNumber,
      der: Buffer.from(issued.der),
      sha256: Buffer.from(issued.sha256),
      subjectKeySha256,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      status: 'active' as const,
    };
    const [{ id, created_at }] = await m.query(
      `INSERT INTO certificate (org_id, device_id, ca_id, serial, der, sha256, subject_key_sha256, not_before, not_after, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active') RETURNING id, created_at`,
      [orgId, deviceId, caId, values.serial, values.der, values.sha256, subjectKeySha256, values.notBefore, values.notAfter],
    );
    return Object.assign(new Certificate(), values, {
      id,
      createdAt: new Date(created_at),
      revokedAt: null,
      revocationReason: null,
      supersededBy: null,
    });
  }

  chainOf(row: Certificate, intermediateDer: Buffer, leafPem?: string): IssuedChain {
    const chainDer = [new Uint8Array(row.der), new Uint8Array(intermediateDer)];
    let intermediatePem = this.pemCache.get(intermediateDer);
    if (!intermediatePem) {
      intermediatePem = encodePem(intermediateDer, 'CERTIFICATE');
      this.pemCache.set(intermediateDer, intermediatePem);
    }
    return {
      certificateId: row.id,
      serial: row.serial,
      sha256: row.sha256.toString('hex'),
      chainDer,
      chainPem: (leafPem ?? encodePem(row.der, 'CERTIFICATE')) + intermediatePem,
      credential: encodeX509Credential(chainDer),
      notBefore: row.notBefore,
      notAfter: row.notAfter,
    };
  }
}
