import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config.js';
import { assertDatabaseReachable, DatabaseUnreachableError } from './database/database-reachable.js';
import { runMigrations } from './database/migrate.js';

/** `npm run migrate`: the Helm pre-install/pre-upgrade Job. Needs DATABASE_URL. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to run migrations');
  await assertDatabaseReachable(config.databaseUrl);
  const applied = await runMigrations(config.databaseUrl);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
}

main().catch((e) => {
  const known = e instanceof ConfigError || e instanceof DatabaseUnreachableError;
  process.stderr.write(`mls-identity migrate: ${known ? e.message : `failed: ${(e as Error).message}`}\n`);
  process.exit(1);
});
