import { esc, page } from '../enrollment/index.js';

/** After the IdP sign-in: who is signed in, with which roles. */
export function signedInPage(actor: string, org: string, roles: readonly string[], cliLogin: boolean): string {
  return page(
    'Signed in',
    `<dl><dt>Admin</dt><dd>${esc(actor)}</dd><dt>Org</dt><dd>${esc(org)}</dd><dt>Roles</dt><dd>${esc(roles.join(', '))}</dd></dl>
${cliLogin ? '<p>The command line is signed in: go back to your terminal. You can close this window.</p>' : ''}`,
  );
}

/** The CLI login's verification page: the code `mlsid admin login` shows. */
export function cliLoginPage(action: string): string {
  return page(
    'Sign in the mlsid command line',
    `<p class="warn">Continue only if you ran <code>mlsid admin login</code> yourself just now: whoever shows you a code gets your admin rights.</p>
<form method="get" action="${esc(action)}"><label>Code <input type="text" name="code" autocomplete="off" required></label>
<br><button type="submit">Continue to sign-in</button></form>`,
  );
}

/** A refused sign-in, for a browser (API clients get the same status and `reason` as problem+json). */
export function signInRefusedPage(reason: string, message: string): string {
  return page(
    'Sign-in refused',
    `<p class="error"><strong>${esc(reason)}</strong>: ${esc(message)}</p><p>Start signing in again, or ask your IT team for the admin role you need.</p>`,
  );
}
