import { Global, Module } from '@nestjs/common';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { AccountDirectory } from './account-directory.service.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { GroupDirectory } from './group-directory.service.js';

@Global()
@Module({
  providers: [DeviceRevocationService, AccountDeprovisioningService, AccountDirectory, GroupDirectory],
  exports: [DeviceRevocationService, AccountDeprovisioningService, AccountDirectory, GroupDirectory],
})
export class AccountsModule {}
