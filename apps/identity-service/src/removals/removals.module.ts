import { Module } from '@nestjs/common';
import { CertificatesModule } from '../certificates/index.js';
import { ExternalSenderService } from './external-sender.service.js';
import { GroupRegistryService } from './group-registry.service.js';
import { OverdueRemovalsService } from './overdue-removals.service.js';
import { RemovalFeedService } from './removal-feed.service.js';
import { RemovalPlanner } from './removal-planner.service.js';
import { RemovalWebhooksService } from './removal-webhooks.service.js';
import { RemovalsController } from './removals.controller.js';
import { RoomAdminsService } from './room-admins.service.js';

@Module({
  imports: [CertificatesModule],
  providers: [
    ExternalSenderService,
    RemovalWebhooksService,
    RemovalPlanner,
    GroupRegistryService,
    RemovalFeedService,
    OverdueRemovalsService,
    RoomAdminsService,
  ],
  controllers: [RemovalsController],
  exports: [ExternalSenderService, GroupRegistryService, RemovalPlanner, RemovalFeedService],
})
export class RemovalsModule {}
