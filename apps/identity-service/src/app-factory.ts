import 'reflect-metadata';
import { ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { rejectDeepBodies } from './common/json-depth.js';
import { startTracing } from './common/tracing/index.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { GROUP_REPORT_BODY_LIMIT, isGroupReportRequest } from './removals/index.js';
import type { AppConfig } from './config/app-config.js';
import { scimBodyParserErrors } from './scim/scim-error.filter.js';

/** JSON media types we parse: SCIM clients send application/scim+json (RFC 7644 §3.1). */
const JSON_TYPES = ['application/json', 'application/scim+json', 'application/*+json'];

function groupReportJson(req: { method?: string; url?: string; headers: Record<string, string | string[] | undefined> }): boolean {
  const type = req.headers['content-type'];
  return isGroupReportRequest(req) && typeof type === 'string' && /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type);
}

/** Builds the configured HTTP application; used by main.ts and by every e2e test. */
export async function createApp(config: AppConfig, databaseUrl: string, extraImports: DynamicModule['imports'] = []): Promise<INestApplication> {
  // Before the database pool exists, so that its connections' queries are traced from the start.
  const tracing = await startTracing(config.tracing);
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl, extraImports), {
      bodyParser: false,
      // Device-signed requests cover a hash of the exact body bytes.
      rawBody: true,
      bufferLogs: true,
    });
  } catch (e) {
    // A failed start leaves no patched modules or exporter behind (tests start many apps).
    await tracing?.shutdown();
    throw e;
  }
  app.useLogger(app.get(Logger));
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.disable('x-powered-by');
  app.use(
    helmet({
      // Swagger UI at /docs needs its own inline styles; the API itself serves JSON only.
      contentSecurityPolicy: {
        directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null },
      },
    }),
  );
  // A group report carries the whole ratchet tree (≈ 19 MiB of JSON at 10,000 members): that
  // route alone gets its own bound; every other body keeps the service-wide limit.
  app.useBodyParser('json', { limit: Math.max(config.bodyLimit, GROUP_REPORT_BODY_LIMIT), type: groupReportJson });
  app.useBodyParser('json', { limit: config.bodyLimit, type: JSON_TYPES });
  app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: false });
  app.useBodyParser('raw', { limit: config.bodyLimit, type: ['application/octet-stream', 'application/pkcs10', 'message/mls'] });
  app.use(rejectDeepBodies);
  // Before routing, so malformed, oversize or too deep SCIM bodies get SCIM errors (RFC 7644 §3.12).
  app.use('/scim', scimBodyParserErrors);
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));

  const openapi = new DocumentBuilder()
    .setTitle('mls-identity')
    .setDescription('Identity and authentication service for MLS (RFC 9420) group messaging')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openapi), { jsonDocumentUrl: 'docs/openapi.json' });
  if (tracing) {
    // After the app (and its workers) stopped: their last spans are exported, then tracing ends.
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await tracing.shutdown();
    };
  }
  return app;
}
