import { rm } from 'node:fs/promises';
import type { EmbeddedPostgres } from '../../apps/identity-service/src/database/embedded-postgres.ts';

export default async function globalTeardown(): Promise<void> {
  const softHsm = (globalThis as { __softHsmDir?: string }).__softHsmDir;
  if (softHsm) await rm(softHsm, { recursive: true, force: true });
  const state = (globalThis as { __embeddedPostgres?: { server: EmbeddedPostgres; dir: string } }).__embeddedPostgres;
  if (!state) return;
  await state.server.stop();
  await rm(state.dir, { recursive: true, force: true });
}
