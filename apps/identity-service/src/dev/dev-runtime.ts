import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../config/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../database/index.js';
import { readDevCredentials } from './dev-credentials.js';

/**
 * DEV ONLY: fills in what development mode leaves unconfigured — the embedded database, a
 * generated KEK and admin token in the data directory — and says so loudly.
 */
export interface DevRuntime {
  config: AppConfig;
  databaseUrl: string;
  embedded?: EmbeddedPostgres;
}

async function devKek(dataDir: string, warn: (m: string) => void): Promise<Buffer> {
  const file = path.join(dataDir, 'kek');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  } catch {
    const kek = randomBytes(32);
    await writeFile(file, kek.toString('base64'), { mode: 0o600 });
    warn(`DEV: generated a key-encryption key in ${file}; set KEK in any real deployment`);
    return kek;
  }
}

export async function prepareRuntime(config: AppConfig, warn: (m: string) => void): Promise<DevRuntime> {
  if (config.mode === 'production') return { config, databaseUrl: config.databaseUrl! };
  await mkdir(config.dataDir, { recursive: true, mode: 0o755 });
  const filled: AppConfig = { ...config };
  filled.kek ??= await devKek(config.dataDir, warn);
  filled.adminToken ??= (await readDevCredentials(config.dataDir)).adminToken ?? `mlsid_admin_${randomBytes(32).toString('base64url')}`;
  if (config.databaseUrl) return { config: filled, databaseUrl: config.databaseUrl };
  const embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'), warn);
  return { config: filled, databaseUrl: embedded.url, embedded };
}
