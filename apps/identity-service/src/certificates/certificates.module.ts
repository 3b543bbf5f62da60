import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransparencyModule } from '../transparency/transparency.module.js';
import { AdminPkiController } from './admin-pki.controller.js';
import { CertificateAuthorityService } from './certificate-authority.service.js';
import { CertificateRevocationService } from './certificate-revocation.service.js';
import { CertificateStatusService } from './certificate-status.service.js';
import { CertificatesController } from './certificates.controller.js';
import { CrlService } from './crl.service.js';
import { OrgCaService } from './org-ca.service.js';
import { PkiController } from './pki.controller.js';
import { RenewalService } from './renewal.service.js';
import { OrgsModule } from '../orgs/index.js';
import { AuditModule } from '../audit/index.js';
import { OutboxModule } from '../outbox/index.js';
import { Certificate } from './certificate.entity.js';
import { OrgCa } from './ca.entity.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Certificate, OrgCa]), OrgsModule, AuditModule, OutboxModule, TransparencyModule],
  providers: [OrgCaService, CrlService, CertificateAuthorityService, CertificateStatusService, RenewalService, CertificateRevocationService],
  controllers: [PkiController, CertificatesController, AdminPkiController],
  exports: [OrgCaService, CertificateAuthorityService, CertificateStatusService, CrlService],
})
export class CertificatesModule {}
