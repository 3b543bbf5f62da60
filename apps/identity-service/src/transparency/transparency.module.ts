import { Module } from '@nestjs/common';
import { AuditorTokensController } from './auditor-tokens.controller.js';
import { KtController } from './kt.controller.js';
import { KtLogs } from './kt-logs.service.js';
import { KtReader } from './kt-reader.service.js';
import { KtSequencer } from './kt-sequencer.js';
import { KtStaging } from './kt-staging.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';

/** The org key-transparency logs: staging from the outbox, the sequencer, and the read API. */
@Module({
  imports: [OrgsModule, OutboxModule],
  controllers: [KtController, AuditorTokensController],
  providers: [KtLogs, KtStaging, KtSequencer, KtReader],
  exports: [KtLogs, KtReader, KtSequencer],
})
export class TransparencyModule {}
