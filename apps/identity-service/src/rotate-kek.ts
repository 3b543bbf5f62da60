import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { assertDatabaseReachable, DatabaseUnreachableError } from './database/database-reachable.js';
import { rewrapSealedData, SecretBox } from './keys/index.js';
import { SEALED_COLUMNS } from './sealed-columns.js';

/** A KEK from a file (the Secret's mount), base64 of 32 bytes; the value never reaches a message. */
function kekFromFile(variable: string, file: string | undefined): Buffer {
  if (!file) throw new ConfigError(variable, 'is required: the path of a file holding the base64 key-encryption key');
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(variable, `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const bytes = Buffer.from(raw, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) || bytes.length !== 32) throw new ConfigError(variable, 'must hold 32 random bytes in base64');
  return bytes;
}

/**
 * `npm run rotate-kek`: re-wraps every sealed value from the current KEK (KEK) to a new one
 * (NEW_KEK_FILE), in one transaction. Afterwards deploy the new KEK to every replica; the old one
 * is accepted by nothing but this command, and only while it runs.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'is required to rotate the KEK');
  if (!config.kek) throw new ConfigError('KEK', 'is required: the current key-encryption key');
  const newKek = kekFromFile('NEW_KEK_FILE', process.env.NEW_KEK_FILE);
  if (config.kek.equals(newKek)) throw new ConfigError('NEW_KEK_FILE', 'holds the current KEK');
  await assertDatabaseReachable(config.databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, 1, []));
  await dataSource.initialize();
  try {
    const { rewrapped } = await rewrapSealedData(dataSource, SEALED_COLUMNS, new SecretBox(config.kek), new SecretBox(newKek));
    const total = Object.values(rewrapped).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `re-wrapped ${total} sealed values (${Object.entries(rewrapped)
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ')}); now deploy the new KEK to every replica\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((e) => {
  const known = e instanceof ConfigError || e instanceof DatabaseUnreachableError;
  process.stderr.write(`mls-identity rotate-kek: ${known ? e.message : `failed: ${(e as Error).message}`}\n`);
  process.exit(1);
});
