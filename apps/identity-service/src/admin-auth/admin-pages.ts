import { esc, page } from '../enrollment/index.js';

export interface CliLoginToApprove {
  id: string;
  requestedFrom: string | null;
  requestedAt: Date;
  csrfToken: string;
}

/** After the IdP sign-in: who is signed in, with which roles; for a CLI login, the explicit approval. */
export function signedInPage(actor: string, org: string, roles: readonly string[], cliLogin: CliLoginToApprove | null): string {
  const identity = `<dl><dt>Admin</dt><dd>${esc(actor)}</dd><dt>Org</dt><dd>${esc(org)}</dd><dt>Roles</dt><dd>${esc(roles.join(', '))}</dd></dl>`;
  if (!cliLogin) return page('Signed in', identity);
  return page(
    'Sign in the mlsid command line?',
    `${identity}
<p class="warn">A command line asked for an admin token with these roles, from <strong>${esc(cliLogin.requestedFrom ?? 'an unknown address')}</strong>
at ${esc(cliLogin.requestedAt.toISOString())}. Approve only if you ran <code>mlsid admin login</code> yourself just now.</p>
<form method="post" action="/v1/admin/cli-logins/${esc(cliLogin.id)}/approve"><input type="hidden" name="csrfToken" value="${esc(cliLogin.csrfToken)}">
<button type="submit">Approve</button></form>`,
  );
}

/** Signed in from the console: the 303 goes back there; this body is for a client that does not follow it. */
export function consoleRedirectPage(): string {
  return page('Signed in', '<p><a href="/console/">Continue to the console</a></p>');
}

/** The CLI login was approved. */
export function cliApprovedPage(): string {
  return page('Command line signed in', '<p>Go back to your terminal. You can close this window.</p>');
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
