import 'reflect-metadata';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './app-factory.js';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config.js';
import { assertDatabaseReachable, DatabaseUnreachableError } from './database/database-reachable.js';
import { runMigrations } from './database/migrate.js';
import { devCredentialsFile } from './dev/dev-credentials.js';
import type { DevIdp } from './dev/dev-idp.js';
import { prepareRuntime, type DevRuntime } from './dev/dev-runtime.js';
import { ShutdownState } from './health/shutdown-state.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Configuration and connection problems end the process with one line, not a stack trace. */
function fatal(e: unknown): never {
  if (e instanceof ConfigError || e instanceof DatabaseUnreachableError) say(`mls-identity: ${e.message}`);
  else say(`mls-identity: failed to start: ${(e as Error)?.message ?? String(e)}`);
  process.exit(1);
}

function banner(lines: string[]): void {
  say(['', '='.repeat(72), ...lines, '='.repeat(72), ''].join('\n'));
}

/**
 * Stops accepting connections and waits for in-flight requests to finish. Idle keep-alive
 * connections (a load balancer's pool) would hold the close until they time out, so they are
 * closed now and, as in-flight requests finish and leave theirs idle, every 100 ms. Requests
 * still running after the grace period are cut, so the workers still get to stop cleanly.
 */
async function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}

async function start(config: AppConfig): Promise<void> {
  const runtime: DevRuntime = await prepareRuntime(config, (m) => say(`WARNING ${m}`));
  await assertDatabaseReachable(runtime.databaseUrl);
  await runMigrations(runtime.databaseUrl);
  const app: INestApplication = await createApp(runtime.config, runtime.databaseUrl);
  let idp: DevIdp | undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`mls-identity: ${signal} received, draining`);
    // Readiness fails from here on, and DS long polls answer at once (new ones do not wait):
    // they would otherwise hold the server close below for up to a minute.
    app.get(ShutdownState).drain();
    const force = setTimeout(() => {
      say('mls-identity: drain took too long, exiting');
      process.exit(1);
    }, config.shutdownGraceMs + 5000);
    force.unref();
    try {
      await closeServer(app.getHttpServer() as Server, config.shutdownGraceMs);
      // Workers (outbox, KT sequencer) stop in the application shutdown hooks, after the last
      // request that may have queued work for them has finished.
      await app.close();
      await idp?.close();
      await runtime.embedded?.stop();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  if (config.mode === 'production') {
    await app.listen(config.port, '0.0.0.0');
    return;
  }

  // DEV mode: the demo org and a development IdP. Loaded only here, so in production the
  // development IdP's code is never even imported.
  const { startDevIdp } = await import('./dev/dev-idp.js');
  const { seedDemoOrg } = await import('./dev/demo-org.js');
  idp = await startDevIdp({ port: config.devIdpPort, dataDir: config.dataDir, serviceBaseUrl: config.publicUrl });
  await app.init();
  const creds = await seedDemoOrg(app, runtime.config, idp);
  // Listening last: once /health/ready answers, the demo org and its tokens exist.
  await app.listen(config.port, '0.0.0.0');
  banner([
    'mls-identity is running in DEV mode (not for production: set NODE_ENV=production)',
    `  API          ${creds.baseUrl}   (OpenAPI at ${creds.baseUrl}/docs)`,
    `  DEV IdP      ${creds.idp.issuer}   users: ${creds.idp.users.join(', ')} (any password)`,
    `  demo org     ${creds.org}`,
    `  admin sign-in ${creds.baseUrl}/v1/admin/orgs/${creds.org}/sign-in   (DEV IdP user "admin": org-admin of ${creds.org})`,
    `  admin token  ${creds.adminToken}`,
    `  SCIM token   ${creds.scimToken}   (SCIM base ${creds.baseUrl}/scim/v2/${creds.org})`,
    `  DS token     ${creds.dsToken}`,
    `  also written to ${devCredentialsFile(config.dataDir)}`,
  ]);
}

let config: AppConfig;
try {
  config = loadConfig();
} catch (e) {
  fatal(e);
}
start(config).catch(fatal);
