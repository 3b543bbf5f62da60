import { defineErrors } from '../common/errors/domain-error.js';

/**
 * Refusals of admin sign-in, admin sessions and the CLI's device-flow login. A refused
 * sign-in is audited with the same code. (ID token checks answer with enrollment's `id_token_*`
 * codes: one implementation of OIDC validation.)
 */
export const AdminAuthErrors = defineErrors('admin-auth', {
  sign_in_state_invalid: ['invalid_input', 'no admin sign-in is waiting for this state (unknown, used or expired): start signing in again'],
  sign_in_other_browser: [
    'forbidden',
    'the IdP answered a sign-in that this browser did not start (its sign-in cookie is missing or different): start signing in again',
  ],
  sign_in_idp_refused: ['forbidden', 'the IdP refused or cancelled the sign-in (its OAuth error is in the message)'],
  sign_in_idp_failed: ['upstream_failed', 'the code exchange with the IdP failed'],
  admin_role_not_mapped: [
    'forbidden',
    "the admin signed in, but none of the groups in the ID token maps to an admin role in the org's adminRoles setting",
  ],
  admin_groups_overage: [
    'forbidden',
    'the IdP left the groups out of the ID token (Entra groups overage: too many groups): assign fewer groups, or emit only groups assigned to the application',
  ],
  csrf_token_invalid: [
    'forbidden',
    'a state-changing request authenticated by the session cookie must carry the X-CSRF-Token header of that session (GET /v1/admin/session)',
  ],
  session_not_cookie: ['invalid_input', 'this route works on a browser session (the cookie), not on a bearer token'],
  cli_login_pending: ['pending', 'authorization_pending: the admin has not signed in in the browser yet; poll again after `interval` seconds'],
  cli_login_slow_down: ['pending', 'slow_down: polled before the interval passed; wait `interval` seconds'],
  cli_login_expired: ['gone', 'expired_token: the CLI login is unknown, expired or already collected: run `mlsid admin login` again'],
  cli_login_code_invalid: ['not_found', 'no CLI login is waiting for this code: check it, or run `mlsid admin login` again'],
  break_glass_disabled: ['unauthenticated', 'the break-glass ADMIN_TOKEN is turned off here (ADMIN_TOKEN_DISABLED=true): sign in through the IdP'],
});

export type AdminAuthErrorCode = keyof typeof AdminAuthErrors.specs;
