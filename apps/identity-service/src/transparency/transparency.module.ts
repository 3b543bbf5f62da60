import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { AuditAnchors } from './audit-anchors.service.js';
import { AuditorTokensController } from './auditor-tokens.controller.js';
import { KtAdminController } from './kt-admin.controller.js';
import { KtController } from './kt.controller.js';
import { KtCheckpoint, KtLog } from './kt-log.entity.js';
import { KtLogGuard } from './kt-log-guard.js';
import { KtLogs } from './kt-logs.service.js';
import { KtReadCache } from './kt-read-cache.js';
import { KtReader } from './kt-reader.service.js';
import { KtSequencer } from './kt-sequencer.js';
import { KtStaging } from './kt-staging.js';

/** The org key-transparency logs: staging from the outbox, the sequencer, and the read API. */
@Module({
  imports: [TypeOrmModule.forFeature([KtLog, KtCheckpoint]), OrgsModule, OutboxModule, AuditModule],
  controllers: [KtController, KtAdminController, AuditorTokensController],
  providers: [AuditAnchors, KtLogs, KtStaging, KtSequencer, KtReader, KtLogGuard, KtReadCache],
  exports: [AuditAnchors, KtLogs, KtReader, KtSequencer, KtLogGuard],
})
export class TransparencyModule {}
