import pg from 'pg';
import type { DataSource } from 'typeorm';

/** Connection problems named without the URL itself, which carries the password. */
export class DatabaseUnreachableError extends Error {
  constructor(where: string, reason: string) {
    super(`cannot connect to the database at ${where}: ${reason}`);
    this.name = 'DatabaseUnreachableError';
  }
}

export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Fails fast with one clear line instead of an ORM retry loop and a stack trace. */
export async function assertDatabaseReachable(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new DatabaseUnreachableError(describeDatabase(url), err.code ?? err.message ?? 'unknown error');
  } finally {
    await client.end().catch(() => {});
  }
}

/** Readiness: the app's own pool can run a statement now (no retry, the probe is repeated anyway). */
export async function databaseAnswers(dataSource: DataSource): Promise<boolean> {
  try {
    await dataSource.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
