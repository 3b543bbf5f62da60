import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { CertificatesModule } from '../certificates/index.js';
import { OrgsModule } from '../orgs/index.js';
import { OutboxModule } from '../outbox/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { AdminDevicesController } from './admin-devices.controller.js';
import { DeviceAdminService } from './device-admin.service.js';
import { DeviceLifecycleService } from './device-lifecycle.service.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { Device } from './device.entity.js';
import { DeviceRepository } from './device.repository.js';
import { DevicesService } from './devices.service.js';

/**
 * The device lifecycle: enrollment creates, renewal rotates the key, revocation ends it (one
 * path), and the lifecycle sweep expires lapsed devices and retires superseded certificates. Owns the `device` and `device_key_history` tables.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Device]), OrgsModule, AuditModule, OutboxModule, CertificatesModule, TransparencyModule],
  providers: [DeviceRepository, DevicesService, DeviceRevocationService, DeviceLifecycleService, DeviceAdminService],
  controllers: [AdminDevicesController],
  exports: [DevicesService, DeviceRevocationService, DeviceLifecycleService, DeviceAdminService],
})
export class DevicesModule {}
