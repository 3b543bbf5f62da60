import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditContextInterceptor } from './audit-context.interceptor.js';
import { AuditService } from './audit.service.js';
import { AuditEvent } from './audit-event.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  // Global: every handler runs in its request's audit context (caller, IP, request id).
  providers: [AuditService, { provide: APP_INTERCEPTOR, useClass: AuditContextInterceptor }],
  exports: [AuditService],
})
export class AuditModule {}
