import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { encodeX509Credential } from '#mls';
import { encodePem, type IssuedCertificate } from '#x509-profile';
import { orgNotFound, OrgsService, type Org } from '../orgs/index.js';
import { OutboxService, type OutboxEvent } from '../outbox/index.js';
import { ktAppend } from '../transparency/index.js';
import type { Certificate } from './certificate.entity.js';
import { CertificateRepository } from './certificate.repository.js';
import { OrgCaService } from './org-ca.service.js';

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

/** Who a device certificate names: the CA certifies it as given (the use cases decide who qualifies). */
export interface DeviceIdentity {
  accountId: string;
  displayName: string;
  /** The rfc822Name. */
  email: string;
  deviceId: string;
}

export interface DeviceCertificateRequest {
  org: Pick<Org, 'id' | 'slug' | 'name'>;
  identity: DeviceIdentity;
  /** The MLS signature key, DER SubjectPublicKeyInfo. */
  subjectPublicKeyInfo: Uint8Array;
  ciphersuite: number;
  lifetimeSeconds: number;
  /** The key-transparency entry type. */
  event?: 'certificate_issued' | 'certificate_renewed';
  /**
   * The caller's own events about this certificate (enrollment's `device_enrolled`), written
   * after the certificate's in the same INSERT: one outbox statement per issuance.
   */
  alongside?: (certificate: { sha256: string }) => OutboxEvent[];
}

/**
 * The authority: signs device (and service) certificates with the org's active
 * intermediate, from an identity, a key and a lifetime. It knows nothing of accounts, OIDC,
 * SCIM or policy; enrollment and renewal call it after their own checks, inside their
 * transactions.
 */
@Injectable()
export class CertificateAuthorityService {
  /** The intermediate's PEM, per (cached) CA certificate buffer. */
  private readonly pemCache = new WeakMap<Buffer, string>();

  constructor(
    private readonly cas: OrgCaService,
    private readonly certificates: CertificateRepository,
    private readonly outbox: OutboxService,
    private readonly orgs: OrgsService,
  ) {}

  /**
   * Certifies a device key for an identity, in the caller's transaction: writes the
   * certificate row and its key-transparency entry. Whether the device and its account may
   * hold a certificate, and for how long, is the caller's policy, decided before this call.
   */
  async issueDeviceCertificate(m: EntityManager, req: DeviceCertificateRequest): Promise<IssuedChain> {
    const { org, identity } = req;
    const { ca, template, sign } = await this.cas.activeIssuer(org.id, m);
    // The template writes the bytes #x509-profile's issueDeviceCertificate would (tests compare them).
    const unsigned = template.device({
      org: { slug: org.slug, name: org.name },
      account: { id: identity.accountId, displayName: identity.displayName, email: identity.email },
      device: { id: identity.deviceId },
      ciphersuite: req.ciphersuite,
      subjectPublicKeyInfo: req.subjectPublicKeyInfo,
      crlDistributionPoint: this.cas.crlUrl(org.slug, ca.id),
      lifetimeSeconds: req.lifetimeSeconds,
    });
    const issued: IssuedCertificate = await template.sign(unsigned, sign);
    const keyHash = createHash('sha256').update(req.subjectPublicKeyInfo).digest();
    const stored = await this.store(m, org.id, identity.deviceId, ca.id, issued, keyHash);
    await this.outbox.enqueue(
      m,
      ktAppend({
        type: req.event ?? 'certificate_issued',
        orgId: org.id,
        accountId: identity.accountId,
        deviceId: identity.deviceId,
        certificateSha256: stored.sha256.toString('hex'),
        signatureKeySha256: keyHash.toString('hex'),
        timestamp: stored.createdAt.toISOString(),
      }),
      ...(req.alongside?.({ sha256: stored.sha256.toString('hex') }) ?? []),
    );
    return this.chainOf(stored, ca.der, issued.pem);
  }

  /** A certificate for one of the org's own services (the MLS external sender). */
  async issueServiceCertificate(
    m: EntityManager,
    req: { orgId: string; service: 'removal'; ciphersuite: number; subjectPublicKeyInfo: Uint8Array },
  ): Promise<IssuedChain> {
    const org = await this.orgs.findById(req.orgId, m);
    if (!org) throw orgNotFound(req.orgId);
    const { ca, template, sign } = await this.cas.activeIssuer(org.id, m);
    const unsigned = template.service({
      org: { slug: org.slug, name: org.name },
      service: req.service,
      ciphersuite: req.ciphersuite,
      subjectPublicKeyInfo: req.subjectPublicKeyInfo,
      crlDistributionPoint: this.cas.crlUrl(org.slug, ca.id),
      lifetimeSeconds: 30 * 86400,
    });
    const issued = await template.sign(unsigned, sign);
    const keyHash = createHash('sha256').update(req.subjectPublicKeyInfo).digest();
    const row = await this.store(m, org.id, null, ca.id, issued, keyHash);
    return this.chainOf(row, ca.der, issued.pem);
  }

  /** Whether a certificate of the org is still live (a CA revocation revokes what it signed). */
  async isLive(m: EntityManager, orgId: string, certificateId: string): Promise<boolean> {
    const [row] = await this.certificates.findByIds(m, orgId, [certificateId]);
    return row !== undefined && row.status !== 'revoked';
  }

  private store(
    m: EntityManager,
    orgId: string,
    deviceId: string | null,
    caId: string,
    issued: IssuedCertificate,
    subjectKeySha256: Buffer,
  ): Promise<Certificate> {
    return this.certificates.insert(m, {
      orgId,
      deviceId,
      caId,
      serial: issued.serialNumber,
      der: Buffer.from(issued.der),
      sha256: Buffer.from(issued.sha256),
      subjectKeySha256,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
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
