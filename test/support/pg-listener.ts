import type { DataSource } from 'typeorm';
import { until } from './until.js';

/**
 * The service's LISTEN backends for a channel, found in pg_stat_activity by their
 * application_name ("mlsid-listener:<channels>"); the `LISTEN` match also finds a listener
 * that sets no application_name, so these tests can run against code without one.
 */
const LISTENERS = `SELECT pid FROM pg_stat_activity
   WHERE datname = current_database() AND pid <> pg_backend_pid()
     AND (application_name LIKE 'mlsid-listener:%' || $1 || '%' OR query ILIKE 'LISTEN %' || $1 || '%')`;

/** Kills the listener's connection as a failover or an admin would; returns the killed pids. */
export async function terminateListener(dataSource: DataSource, channel: string): Promise<number[]> {
  const rows: { pid: number }[] = await dataSource.query(LISTENERS, [channel]);
  if (rows.length === 0) throw new Error(`no listener backend for ${channel}`);
  for (const { pid } of rows) await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
  return rows.map((r) => r.pid);
}

/** Waits until a new backend listens on the channel again. */
export async function listenerReconnected(dataSource: DataSource, channel: string, killed: number[], timeoutMs = 5000): Promise<void> {
  await until(
    async () => {
      const rows: { pid: number }[] = await dataSource.query(LISTENERS, [channel]);
      return rows.some((r) => !killed.includes(r.pid));
    },
    timeoutMs,
    `the ${channel} listener to reconnect`,
  );
}
