import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/index.js';
import { AuditModule } from '../audit/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { DevicesModule } from '../devices/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { DeviceCertificationService } from './device-certification.service.js';
import { DeviceEnrollmentService } from './device-enrollment.service.js';
import { EnrollmentController } from './enrollment.controller.js';
import { EnrollmentService } from './enrollment.service.js';
import { AnonymousLimitGuard } from './limits/anonymous-limit.guard.js';
import { AnonymousRefusals } from './limits/anonymous-refusals.service.js';
import { EnrollmentRateLimits } from './limits/enrollment-rate-limits.service.js';
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { IdpMetadataCache } from './oidc/idp-metadata.js';
import { ReauthenticationController } from './reauthentication.controller.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { RenewalController } from './renewal.controller.js';
import { RenewalService } from './renewal.service.js';
import { EnrollmentSession } from './sessions/enrollment-session.entity.js';

/**
 * A device gets its certificate: OIDC enrollment (three flows), renewal and re-authentication
 * (a fresh IdP sign-in for an enrolled device, keeping its identity), with the enrollment policy. Owns enrollment_session and id_token_replay.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([EnrollmentSession]),
    OrgsModule,
    AccountsModule,
    DevicesModule,
    CertificatesModule,
    TransparencyModule,
    AuditModule,
    OutboxModule,
  ],
  controllers: [EnrollmentController, RenewalController, ReauthenticationController],
  providers: [
    IdpMetadataCache,
    IdTokenAuthenticator,
    DeviceCertificationService,
    DeviceEnrollmentService,
    EnrollmentService,
    RenewalService,
    ReauthenticationService,
    EnrollmentRateLimits,
    AnonymousRefusals,
    AnonymousLimitGuard,
  ],
  exports: [IdpMetadataCache, IdTokenAuthenticator, EnrollmentService, DeviceCertificationService, EnrollmentRateLimits],
})
export class EnrollmentModule {}
