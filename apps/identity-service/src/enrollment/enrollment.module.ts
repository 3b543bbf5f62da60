import { Module } from '@nestjs/common';
import { TransparencyModule } from '../transparency/transparency.module.js';
import { DeviceEnrollmentService } from './device-enrollment.service.js';
import { EnrollmentController } from './enrollment.controller.js';
import { EnrollmentService } from './enrollment.service.js';
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { IdpMetadataCache } from './oidc/idp-metadata.js';

/** OIDC device enrollment; needs the certificates module's CertificateAuthorityService. */
@Module({
  imports: [TransparencyModule],
  controllers: [EnrollmentController],
  providers: [IdpMetadataCache, IdTokenAuthenticator, DeviceEnrollmentService, EnrollmentService],
  exports: [IdpMetadataCache, IdTokenAuthenticator, EnrollmentService],
})
export class EnrollmentModule {}
