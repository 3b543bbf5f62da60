import { Global, Module } from '@nestjs/common';
import { AccountDeprovisioningService } from './account-deprovisioning.service.js';
import { DeviceRevocationService } from './device-revocation.service.js';

@Global()
@Module({
  providers: [DeviceRevocationService, AccountDeprovisioningService],
  exports: [DeviceRevocationService, AccountDeprovisioningService],
})
export class AccountsModule {}
