import { defineErrors } from './domain-error.js';

/** Conditions of the service's own infrastructure that a client can only wait out. */
export const InfrastructureErrors = defineErrors('infrastructure', {
  database_unavailable: [
    'unavailable',
    'the service cannot reach its database right now (connection refused, dropped or timed out); retry after the Retry-After seconds',
  ],
});

/** Seconds a client is asked to wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_S = 5;
