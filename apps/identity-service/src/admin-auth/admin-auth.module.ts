import { Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AuditModule } from '../audit/index.js';
import { EnrollmentModule } from '../enrollment/index.js';
import { OrgsModule } from '../orgs/index.js';
import { AdminCredentialsService } from './admin-credentials.service.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminSignInController } from './admin-sign-in.controller.js';
import { AdminSignInService } from './admin-sign-in.service.js';
import { CliLoginService } from './cli-login.service.js';

const PURGE_EVERY_MS = 60 * 60 * 1000;

/**
 * Admins sign in through their org's IdP (issue 15): browser sessions, bearer tokens and the
 * CLI's device-flow login. Owns admin_sign_in, admin_credential and admin_cli_login. The auth
 * module's admin strategies resolve credentials through AdminCredentialsService.
 */
@Module({
  imports: [OrgsModule, AuditModule, EnrollmentModule],
  controllers: [AdminSignInController],
  providers: [AdminCredentialsService, AdminSessionsService, AdminSignInService, CliLoginService],
  exports: [AdminCredentialsService],
})
export class AdminAuthModule implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly credentials: AdminCredentialsService,
    private readonly signIns: AdminSignInService,
    private readonly cliLogins: CliLoginService,
  ) {}

  /** Expired rows of the three tables, hourly, instead of a DELETE on every anonymous start. */
  onModuleInit(): void {
    // One after the other: the tables cascade into each other (credential, CLI login, sign-in).
    const purge = async () => {
      await this.credentials.purgeExpired();
      await this.cliLogins.purgeExpired();
      await this.signIns.purgeExpired();
    };
    this.timer = setInterval(() => void purge().catch(() => undefined), PURGE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
