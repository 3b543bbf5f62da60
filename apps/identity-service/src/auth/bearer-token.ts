/**
 * Compatibility re-export for enrollment/sessions/enrollment-secret.ts until it imports
 * `hashToken` from orgs/index.js and `secretsEqual` from auth/index.js; tokens are minted and
 * hashed by their owner, orgs. Delete this file once nothing imports it.
 */
export { hashToken } from '../orgs/index.js';
export { secretsEqual } from './secrets-equal.js';
