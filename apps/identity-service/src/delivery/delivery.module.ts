import { Module } from '@nestjs/common';
import { CertificatesModule } from '../certificates/index.js';
import { RemovalsModule } from '../removals/removals.module.js';
import { CommitAuthorizationService } from './commit-authorization.service.js';
import { DeliveryController } from './delivery.controller.js';
import { GroupAuditService } from './group-audit.service.js';
import { MemberJudgeService } from './member-judge.service.js';
import { ValidationService } from './validation.service.js';

@Module({
  imports: [RemovalsModule, CertificatesModule],
  providers: [MemberJudgeService, ValidationService, CommitAuthorizationService, GroupAuditService],
  controllers: [DeliveryController],
  exports: [CommitAuthorizationService, ValidationService],
})
export class DeliveryModule {}
