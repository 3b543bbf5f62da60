import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransparencyModule } from '../transparency/transparency.module.js';
import { DeviceEnrollmentService } from './device-enrollment.service.js';
import { EnrollmentController } from './enrollment.controller.js';
import { EnrollmentService } from './enrollment.service.js';
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { IdpMetadataCache } from './oidc/idp-metadata.js';
import { OrgsModule } from '../orgs/index.js';
import { AuditModule } from '../audit/index.js';
import { OutboxModule } from '../outbox/index.js';
import { EnrollmentSession } from './sessions/enrollment-session.entity.js';

/** OIDC device enrollment; needs the certificates module's CertificateAuthorityService. */
@Module({
  imports: [TypeOrmModule.forFeature([EnrollmentSession]), OrgsModule, AuditModule, OutboxModule, TransparencyModule],
  controllers: [EnrollmentController],
  providers: [IdpMetadataCache, IdTokenAuthenticator, DeviceEnrollmentService, EnrollmentService],
  exports: [IdpMetadataCache, IdTokenAuthenticator, EnrollmentService],
})
export class EnrollmentModule {}
