import { Module, type DynamicModule } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LoggerModule } from 'nestjs-pino';
import { AccountsModule } from './accounts/accounts.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AdminConsoleModule } from './admin-console/index.js';
import { AdminAuthModule } from './admin-auth/admin-auth.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CertificatesModule } from './certificates/certificates.module.js';
import { CorsModule } from './cors/cors.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DeliveryModule } from './delivery/delivery.module.js';
import { EnrollmentModule } from './enrollment/enrollment.module.js';
import { HealthModule } from './health/health.module.js';
import { KeysModule } from './keys/keys.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OrgsModule } from './orgs/orgs.module.js';
import { OutboxModule } from './outbox/outbox.module.js';
import { RemovalsModule } from './removals/removals.module.js';
import { DisclosureModule } from './disclosure/disclosure.module.js';
import { ScimModule } from './scim/scim.module.js';
import { TransparencyModule } from './transparency/transparency.module.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, extraImports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // A caller's request id is kept when it looks like one, so traces join up.
            genReqId: (req, res) => {
              const given = req.headers['x-request-id'];
              const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
              res.setHeader('X-Request-Id', id);
              return id;
            },
            redact: {
              paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
              censor: '[redacted]',
            },
            serializers: {
              // Query strings may carry enrollment secrets or codes: log the path only.
              req: (req: { id: string; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                path: String(req.url).split('?')[0],
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            autoLogging: { ignore: (req) => String(req.url).startsWith('/health') },
          },
        }),
        DatabaseModule.forRoot(databaseUrl),
        MetricsModule,
        KeysModule,
        AuditModule,
        OutboxModule,
        OrgsModule,
        AccountsModule,
        CertificatesModule,
        AuthModule,
        HealthModule,
        AdminConsoleModule,
        AdminModule,
        ScimModule,
        TransparencyModule,
        RemovalsModule,
        DisclosureModule,
        CorsModule,
        DeliveryModule,
        EnrollmentModule,
        AdminAuthModule,
        ...(extraImports ?? []),
      ],
    };
  }
}
