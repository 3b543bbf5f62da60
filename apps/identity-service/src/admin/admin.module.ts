import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/index.js';
import { AuditModule } from '../audit/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { DevicesModule } from '../devices/index.js';
import { OrgsModule } from '../orgs/index.js';
import { RemovalsModule } from '../removals/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { AccountAdminController } from './account-admin.controller.js';
import { AdminController } from './admin.controller.js';
import { AuditController } from './audit.controller.js';
import { ConnectionAdminController } from './connection-admin.controller.js';
import { DeviceAdminController } from './device-admin.controller.js';
import { ReportsController } from './reports.controller.js';

@Module({
  imports: [OrgsModule, AuditModule, AccountsModule, DevicesModule, CertificatesModule, RemovalsModule, TransparencyModule],
  controllers: [AdminController, AccountAdminController, DeviceAdminController, ConnectionAdminController, ReportsController, AuditController],
})
export class AdminModule {}
