import { rm } from 'node:fs/promises';
import type { EmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __embeddedPostgres?: { server: EmbeddedPostgres; dir: string } }).__embeddedPostgres;
  if (!state) return;
  await state.server.stop();
  await rm(state.dir, { recursive: true, force: true });
}
