import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { DevicesModule } from '../devices/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { AccountIdpLinksService } from './account-idp-links.service.js';
import { AdminIdpLinksController } from './admin-idp-links.controller.js';
import { AccountAdminService } from './account-admin.service.js';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { AccountDirectory } from './account-directory.service.js';
import { Account } from './account.entity.js';
import { GroupDirectory } from './group-directory.service.js';
import { ScimGroup } from './scim-group.entity.js';

/**
 * Accounts and SCIM groups (tables account, account_idp_binding, scim_group, scim_group_member),
 * the IdP connections that sign each account in, and offboarding.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Account, ScimGroup]), DevicesModule, OrgsModule, AuditModule, OutboxModule],
  providers: [AccountDeprovisioningService, AccountDirectory, AccountIdpLinksService, GroupDirectory, AccountAdminService],
  controllers: [AdminIdpLinksController],
  exports: [AccountDeprovisioningService, AccountDirectory, GroupDirectory, AccountAdminService],
})
export class AccountsModule {}
