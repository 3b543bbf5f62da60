import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { DevicesModule } from '../devices/index.js';
import { OutboxModule } from '../outbox/index.js';
import { AccountAdminService } from './account-admin.service.js';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { AccountDirectory } from './account-directory.service.js';
import { Account } from './account.entity.js';
import { GroupDirectory } from './group-directory.service.js';
import { ScimGroup } from './scim-group.entity.js';

/** Accounts and SCIM groups (tables account, scim_group, scim_group_member) and offboarding. */
@Module({
  imports: [TypeOrmModule.forFeature([Account, ScimGroup]), DevicesModule, AuditModule, OutboxModule],
  providers: [AccountDeprovisioningService, AccountDirectory, GroupDirectory, AccountAdminService],
  exports: [AccountDeprovisioningService, AccountDirectory, GroupDirectory, AccountAdminService],
})
export class AccountsModule {}
