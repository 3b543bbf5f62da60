import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { AdminPkiController } from './admin-pki.controller.js';
import { OrgCa } from './ca.entity.js';
import { CertificateAuthorityService } from './certificate-authority.service.js';
import { Certificate } from './certificate.entity.js';
import { CertificateRevocationService } from './certificate-revocation.service.js';
import { CertificateStatusService } from './certificate-status.service.js';
import { CaLifecycleService } from './ca-lifecycle.service.js';
import { CertificateRepository } from './certificate.repository.js';
import { CertificatesController } from './certificates.controller.js';
import { CertificatesService } from './certificates.service.js';
import { CrlService } from './crl.service.js';
import { OrgCaService } from './org-ca.service.js';
import { PkiController } from './pki.controller.js';

/**
 * The org CAs and what they issue: the CA (identity + key + lifetime in, certificate out),
 * certificate status, CRLs and trust bundles. Owns the `ca` and `certificate` tables.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Certificate, OrgCa]), OrgsModule, AuditModule, OutboxModule, TransparencyModule],
  providers: [
    CertificateRepository,
    OrgCaService,
    CrlService,
    CertificateAuthorityService,
    CertificateStatusService,
    CertificateRevocationService,
    CertificatesService,
    CaLifecycleService,
  ],
  controllers: [PkiController, CertificatesController, AdminPkiController],
  exports: [
    OrgCaService,
    CaLifecycleService,
    CertificateAuthorityService,
    CertificateStatusService,
    CertificateRevocationService,
    CertificatesService,
    CrlService,
  ],
})
export class CertificatesModule {}
