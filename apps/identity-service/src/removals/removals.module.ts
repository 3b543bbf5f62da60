import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/index.js';
import { AuditModule } from '../audit/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { DevicesModule } from '../devices/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { MlsExternalSender } from './external-sender.entity.js';
import { LifecycleWebhooksService } from './lifecycle-webhooks.service.js';
import { DeviceMembershipsService } from './device-memberships.service.js';
import { ExternalSenderService } from './external-sender.service.js';
import { ExternalSenderRotationController } from './external-sender-rotation.controller.js';
import { ExternalSenderRotationService } from './external-sender-rotation.service.js';
import { GroupRegistryService } from './group-registry.service.js';
import { MlsGroupPolicy } from './group-policy.entity.js';
import { MembershipPolicyService } from './membership-policy.service.js';
import { MlsGroup, MlsGroupMember, MlsRoomAdmin } from './mls-group.entity.js';
import { OverdueRemovalsService } from './overdue-removals.service.js';
import { RemovalFeedService } from './removal-feed.service.js';
import { RemovalPlanner } from './removal-planner.service.js';
import { RemovalWebhooksService } from './removal-webhooks.service.js';
import { ReportStalenessService } from './report-staleness.service.js';
import { Removal } from './removal.entity.js';
import { AdminGroupsController } from './admin-groups.controller.js';
import { GroupOverviewService } from './group-overview.service.js';
import { RemovalsController } from './removals.controller.js';
import { RoomAdminsService } from './room-admins.service.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { WebhookSender } from './webhook-sender.js';

/**
 * The service as MLS external sender: group registry, removal planning, feed and webhooks.
 * Reads devices, accounts and DS clients through their owners' services.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([MlsGroup, MlsGroupMember, MlsRoomAdmin, MlsGroupPolicy, Removal, MlsExternalSender, WebhookDelivery]),
    AuditModule,
    AccountsModule,
    DevicesModule,
    CertificatesModule,
    OrgsModule,
    OutboxModule,
  ],
  providers: [
    GroupOverviewService,
    ExternalSenderService,
    ExternalSenderRotationService,
    RemovalWebhooksService,
    WebhookSender,
    LifecycleWebhooksService,
    RemovalPlanner,
    GroupRegistryService,
    RemovalFeedService,
    OverdueRemovalsService,
    RoomAdminsService,
    MembershipPolicyService,
    ReportStalenessService,
    DeviceMembershipsService,
  ],
  controllers: [RemovalsController, AdminGroupsController, ExternalSenderRotationController],
  exports: [ExternalSenderService, GroupRegistryService, RemovalPlanner, RemovalFeedService, MembershipPolicyService, DeviceMembershipsService],
})
export class RemovalsModule {}
