import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { DevicesModule } from '../devices/index.js';
import { RemovalsModule } from '../removals/index.js';
import { CommitAuthorizationService } from './commit-authorization.service.js';
import { DeliveryController } from './delivery.controller.js';
import { GroupAuditService } from './group-audit.service.js';
import { MemberJudgeService } from './member-judge.service.js';
import { ValidationService } from './validation.service.js';

/** The delivery-service questions, answered over the removals registry, certificate status, devices and accounts. */
@Module({
  imports: [RemovalsModule, CertificatesModule, DevicesModule, AccountsModule],
  providers: [MemberJudgeService, ValidationService, CommitAuthorizationService, GroupAuditService],
  controllers: [DeliveryController],
  exports: [CommitAuthorizationService, ValidationService],
})
export class DeliveryModule {}
