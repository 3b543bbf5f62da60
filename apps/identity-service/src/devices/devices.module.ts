import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/index.js';
import { OutboxModule } from '../outbox/index.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { Device } from './device.entity.js';

/** The device lifecycle: enrollment creates, renewal rotates, revocation ends (one path). */
@Module({
  imports: [TypeOrmModule.forFeature([Device]), AuditModule, OutboxModule],
  providers: [DeviceRevocationService],
  exports: [DeviceRevocationService],
})
export class DevicesModule {}
