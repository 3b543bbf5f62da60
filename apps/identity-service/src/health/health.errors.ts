import { defineErrors } from '../common/errors/domain-error.js';

export const HealthErrors = defineErrors('health', {
  shutting_down: ['unavailable', 'the instance is draining for shutdown; the load balancer should send traffic elsewhere'],
  database_unreachable: ['unavailable', 'the instance cannot reach its database, so it is not ready for traffic'],
  listener_disconnected: [
    'unavailable',
    'a PostgreSQL LISTEN connection (certificate status cache, removal feed) is down and reconnecting; ready again once it is back',
  ],
  kt_log_rolled_back: [
    'unavailable',
    "an org's key-transparency log in the database does not extend a checkpoint already published (a restore rolled it back); the sequencer signs nothing for that log until an operator resolves it (docs/operations.md)",
  ],
});
