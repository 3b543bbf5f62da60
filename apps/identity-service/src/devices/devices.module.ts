import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { OutboxModule } from '../outbox/index.js';
import { DeviceRevocationService } from './device-revocation.service.js';

/** The device lifecycle: enrollment creates, renewal rotates, revocation ends (one path). */
@Module({
  imports: [AuditModule, OutboxModule],
  providers: [DeviceRevocationService],
  exports: [DeviceRevocationService],
})
export class DevicesModule {}
