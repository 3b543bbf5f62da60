import type { DataSource } from 'typeorm';
import type { PgListeners } from '../database/index.js';
import { HealthErrors } from './health.errors.js';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownState } from './shutdown-state.js';

const database = (up: boolean) =>
  ({ query: async () => (up ? [{ '?column?': 1 }] : Promise.reject(new Error('ECONNREFUSED'))) }) as unknown as DataSource;

const listeners = (down: string[] = []) => ({ disconnected: () => down }) as unknown as PgListeners;

describe('readiness', () => {
  it('is ready when the database answers and the instance is not draining', async () => {
    await expect(new HealthController(database(true), new ShutdownState(), listeners(), new ReadinessChecks()).ready()).resolves.toEqual({
      status: 'ok',
      database: 'ok',
    });
  });

  it('refuses with shutting_down while draining, before asking the database', async () => {
    const state = new ShutdownState();
    state.draining = true;
    const error = await new HealthController(database(true), state, listeners(), new ReadinessChecks()).ready().catch((e) => e);
    expect(HealthErrors.is(error, 'shutting_down')).toBe(true);
  });

  it('refuses with database_unreachable when the database does not answer', async () => {
    const error = await new HealthController(database(false), new ShutdownState(), listeners(), new ReadinessChecks()).ready().catch((e) => e);
    expect(HealthErrors.is(error, 'database_unreachable')).toBe(true);
  });

  it('refuses with the code a feature module reports, e.g. kt_log_rolled_back', async () => {
    const checks = new ReadinessChecks();
    checks.register('kt', () => ({ code: 'kt_log_rolled_back', message: 'log acme is behind a published checkpoint' }));
    checks.register('fine', () => null);
    const error = await new HealthController(database(true), new ShutdownState(), listeners(), checks).ready().catch((e) => e);
    expect(HealthErrors.is(error, 'kt_log_rolled_back')).toBe(true);
    expect(error.message).toBe('log acme is behind a published checkpoint');
  });

  it('refuses with listener_disconnected while a LISTEN connection is reconnecting', async () => {
    const error = await new HealthController(database(true), new ShutdownState(), listeners(['mls_removals']), new ReadinessChecks())
      .ready()
      .catch((e) => e);
    expect(HealthErrors.is(error, 'listener_disconnected')).toBe(true);
  });
});
