import { Global, Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({ controllers: [HealthController], providers: [ShutdownState, ReadinessChecks], exports: [ShutdownState, ReadinessChecks] })
export class HealthModule {}
