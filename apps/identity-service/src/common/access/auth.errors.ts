import { defineErrors } from '../errors/domain-error.js';

/**
 * Refusals of the guards around the passport strategies. A strategy that rejects a credential
 * answers with passport's own 401 (no reason: which part of a credential was wrong is not said).
 */
export const AuthErrors = defineErrors('auth', {
  authentication_required: ['unauthenticated', 'the route needs a credential and the request carried none that was accepted'],
  token_not_for_org: [
    'unauthenticated',
    "the credential belongs to another org than the one in the path (the same 401 as a wrong token; nothing is said about the path's org)",
  ],
  admin_role_insufficient: ['forbidden', "the admin is signed in, but none of the admin's roles in this org grants what the route needs"],
});
