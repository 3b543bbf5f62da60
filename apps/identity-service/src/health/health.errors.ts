import { defineErrors } from '../common/errors/domain-error.js';

export const HealthErrors = defineErrors('health', {
  shutting_down: ['unavailable', 'the instance is draining for shutdown; the load balancer should send traffic elsewhere'],
  database_unreachable: ['unavailable', 'the instance cannot reach its database, so it is not ready for traffic'],
});
