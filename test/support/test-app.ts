import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { MetricsServer } from '../../apps/identity-service/src/metrics/metrics-server.js';
import { loadConfig, type AppConfig } from '../../apps/identity-service/src/config/app-config.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  app: INestApplication;
  /** Base URL of the listening server (127.0.0.1, random port). */
  url: string;
  /** Base URL of the metrics listener (METRICS_PORT, random port): `${metricsUrl}/metrics`. */
  metricsUrl: string;
  config: AppConfig;
  adminToken: string;
  db: TestDatabase;
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra Nest modules, e.g. a probe controller for guard tests. */
  imports?: DynamicModule['imports'];
  env?: Record<string, string>;
  /** Reuse a database (to run two replicas on one database); default: a fresh one. */
  db?: TestDatabase;
}

// Every app of one test file shares these, as replicas of one deployment share their
// configuration (and passport's strategies are process-wide: the last app's would win).
const PROCESS_ADMIN_TOKEN = `test-admin-${randomBytes(24).toString('hex')}`;
const PROCESS_KEK = randomBytes(32).toString('base64');

/**
 * A real service instance on its own fresh PostgreSQL database, configured as production
 * would be (explicit DATABASE_URL, KEK, ADMIN_TOKEN) so nothing of dev mode is involved.
 */
/**
 * Every request of a test comes from 127.0.0.1: the anonymous-route limits are tested on their
 * own (test/enrollment/anonymous-limits.spec.ts), not by every suite or service process that enrolls.
 */
export const UNLIMITED_ENROLLMENT_ENV = {
  ENROLLMENT_STARTS_PER_IP_PER_MINUTE: '1000000',
  ENROLLMENT_STARTS_PER_ORG_PER_MINUTE: '1000000',
  ENROLLMENT_LOOKUPS_PER_IP_PER_MINUTE: '1000000',
  ENROLLMENT_CODES_PER_IP_PER_MINUTE: '1000000',
};

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const adminToken = PROCESS_ADMIN_TOKEN;
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    KEK: PROCESS_KEK,
    ADMIN_TOKEN: adminToken,
    PORT: '0',
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '50',
    METRICS_PORT: '0',
    ...UNLIMITED_ENROLLMENT_ENV,
    ...options.env,
  });
  await runMigrations(db.url);
  const app = await createApp(config, db.url, options.imports);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const dataSource = app.get<DataSource>(getDataSourceToken());
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    metricsUrl: `http://127.0.0.1:${app.get(MetricsServer).port}`,
    config,
    adminToken,
    db,
    dataSource,
    async close() {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}

/** fetch with a bearer token and JSON body; returns status, headers and parsed body. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
