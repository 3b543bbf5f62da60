import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { encodeX509Credential, issueDeviceCertificate, issueServiceCertificate, type IssuedCertificate } from '#x509-profile';
import { Account } from '../accounts/account.entity.js';
import { Device } from '../accounts/device.entity.js';
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

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;

/**
 * The authority: signs device (and service) certificates with the org's active
 * intermediate. It knows nothing of OIDC or SCIM; enrollment and renewal call it after
 * their own checks, inside their transactions.
 */
@Injectable()
export class CertificateAuthorityService {
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
    const device = await m.findOneBy(Device, { id: req.deviceId, orgId: req.orgId });
    if (!device) throw new NotFoundException(`no device ${req.deviceId}`);
    if (device.status !== 'active') throw new ConflictException({ message: 'the device is revoked', reason: 'device_revoked' });
    const account = await m.findOneByOrFail(Account, { id: device.accountId });
    if (!account.active || account.deletedAt) {
      throw new ConflictException({ message: 'the account is not active', reason: 'account_inactive' });
    }
    const org = await m.findOneByOrFail(Org, { id: req.orgId });
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
    const row = await this.store(m, org.id, device.id, ca.id, issued, device.signatureKeySha256);
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: req.event ?? 'certificate_issued',
        orgId: org.id,
        accountId: account.id,
        deviceId: device.id,
        certificateSha256: row.sha256.toString('hex'),
        signatureKeySha256: device.signatureKeySha256.toString('hex'),
        timestamp: row.createdAt.toISOString(),
      }),
    );
    return this.chainOf(row, ca.der);
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
    return this.chainOf(row, ca.der);
  }

  private async store(
    m: EntityManager,
    orgId: string,
    deviceId: string | null,
    caId: string,
    issued: IssuedCertificate,
    subjectKeySha256: Buffer,
  ): Promise<Certificate> {
    return m.save(
      m.create(Certificate, {
        orgId,
        deviceId,
        caId,
        serial: issued.serialNumber,
        der: Buffer.from(issued.der),
        sha256: Buffer.from(issued.sha256),
        subjectKeySha256,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        status: 'active',
      }),
    );
  }

  chainOf(row: Certificate, intermediateDer: Uint8Array): IssuedChain {
    const chainDer = [new Uint8Array(row.der), new Uint8Array(intermediateDer)];
    return {
      certificateId: row.id,
      serial: row.serial,
      sha256: row.sha256.toString('hex'),
      chainDer,
      chainPem: chainDer.map(pem).join(''),
      credential: encodeX509Credential(chainDer),
      notBefore: row.notBefore,
      notAfter: row.notAfter,
    };
  }
}
