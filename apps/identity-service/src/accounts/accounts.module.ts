import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DevicesModule } from '../devices/index.js';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { AccountDirectory } from './account-directory.service.js';
import { GroupDirectory } from './group-directory.service.js';
import { AuditModule } from '../audit/index.js';
import { OutboxModule } from '../outbox/index.js';
import { Account } from './account.entity.js';
import { ScimGroup } from './scim-group.entity.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Account, ScimGroup]), AuditModule, OutboxModule, DevicesModule],
  providers: [AccountDeprovisioningService, AccountDirectory, GroupDirectory],
  exports: [DevicesModule, AccountDeprovisioningService, AccountDirectory, GroupDirectory],
})
export class AccountsModule {}
