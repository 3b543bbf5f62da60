import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { DevicesModule } from '../devices/index.js';
import { OutboxModule } from '../outbox/index.js';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { AccountDirectory } from './account-directory.service.js';
import { GroupDirectory } from './group-directory.service.js';

/** Accounts and SCIM groups (tables account, scim_group, scim_group_member) and offboarding. */
@Module({
  imports: [DevicesModule, AuditModule, OutboxModule],
  providers: [AccountDeprovisioningService, AccountDirectory, GroupDirectory],
  exports: [AccountDeprovisioningService, AccountDirectory, GroupDirectory],
})
export class AccountsModule {}
