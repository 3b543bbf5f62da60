import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { CertificatesModule } from '../certificates/index.js';
import { DevicesModule } from '../devices/index.js';
import { OrgsModule } from '../orgs/index.js';
import { AdminAuthModule } from '../admin-auth/index.js';
import { AuditModule } from '../audit/index.js';
import { AdminBearerStrategy } from './admin-bearer.strategy.js';
import { AdminSessionStrategy } from './admin-session.strategy.js';
import { AuditorBearerStrategy } from './auditor-bearer.strategy.js';
import { DeclaredAuthGuard } from './declared-auth.guard.js';
import { DeviceSignatureStrategy } from './device-signature.strategy.js';
import { DsBearerStrategy } from './ds-bearer.strategy.js';
import { ScimBearerStrategy } from './scim-bearer.strategy.js';

@Module({
  imports: [PassportModule.register({ session: false }), OrgsModule, CertificatesModule, DevicesModule, AdminAuthModule, AuditModule],
  providers: [
    AdminBearerStrategy,
    AdminSessionStrategy,
    ScimBearerStrategy,
    DsBearerStrategy,
    AuditorBearerStrategy,
    DeviceSignatureStrategy,
    { provide: APP_GUARD, useClass: DeclaredAuthGuard },
  ],
})
export class AuthModule {}
