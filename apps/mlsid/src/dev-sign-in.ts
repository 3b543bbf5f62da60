// DEV ONLY: signing in at the development IdP without a browser, for `mlsid device enroll
// --dev-user` and the demo (and the end-to-end tests, which drive their test IdPs the same
// way). It fills oidc-provider's devInteractions pages over plain HTTP: the DEV IdP accepts
// any password, so this is no way around a real IdP's authentication.
import * as oidc from 'openid-client';

export interface HeadlessSignIn {
  login: string;
  password?: string;
  /** Refuse instead of consenting (the user presses "cancel"): the IdP answers access_denied. */
  deny?: boolean;
}

/** Cookies of one origin, enough for an IdP's session and interaction cookies. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

interface HtmlForm {
  action: string;
  fields: Record<string, string>;
  names: string[];
}

/** The first form of a page: its action, its hidden/prefilled inputs and the names it asks for. */
function firstForm(html: string, base: string): HtmlForm | null {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return null;
  const action = /action="([^"]*)"/i.exec(m[1])?.[1];
  const fields: Record<string, string> = {};
  const names: string[] = [];
  for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1])?.[1];
    if (!name) continue;
    names.push(name);
    const value = /value="([^"]*)"/i.exec(input[1])?.[1];
    if (value !== undefined) fields[name] = decodeEntities(value);
  }
  return { action: new URL(decodeEntities(action ?? ''), base).href, fields, names };
}

/**
 * Drives an OpenID Provider's browser pages like a person would, over plain HTTP: follows
 * redirects, keeps cookies, fills the login form (login, password), confirms device codes and
 * consent prompts. Works with oidc-provider's devInteractions (the DEV IdP) and the test IdP.
 * Returns the first URL outside the IdP's origin it is redirected to (the client's
 * redirect_uri, not fetched), or the IdP's final page when there is none (device flow).
 */
export async function signInHeadless(startUrl: string, who: HeadlessSignIn): Promise<{ redirectedTo: string | null; finalPage: string }> {
  const origin = new URL(startUrl).origin;
  const jar = new CookieJar();
  let next: { url: string; method: 'GET' | 'POST'; form?: Record<string, string> } = { url: startUrl, method: 'GET' };
  let aborted = false;
  for (let step = 0; step < 30; step++) {
    if (new URL(next.url).origin !== origin) return { redirectedTo: next.url, finalPage: '' };
    const res = await fetch(next.url, {
      method: next.method,
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: next.form ? new URLSearchParams(next.form).toString() : undefined,
    });
    jar.take(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      next = { url: new URL(location, next.url).href, method: 'GET' };
      continue;
    }
    const html = await res.text();
    const form = firstForm(html, next.url);
    if (!form || aborted) return { redirectedTo: null, finalPage: html };
    const fields = { ...form.fields };
    if (form.names.includes('login')) {
      if (who.deny) {
        // devInteractions' cancel link: {submitUrl}/abort
        next = { url: `${form.action}/abort`, method: 'GET' };
        continue;
      }
      fields.login = who.login;
      fields.password = who.password ?? 'any-password';
    }
    if (form.names.includes('confirm') && who.deny) {
      delete fields.confirm;
      fields.abort = 'yes';
      aborted = true;
    }
    next = { url: form.action, method: 'POST', form: fields };
  }
  throw new Error('headless sign-in did not finish in 30 steps');
}

/** The DEV IdP as dev-credentials.json describes it. */
export interface DevIdpClient {
  issuer: string;
  /** The native app's public client id (authorization code + PKCE, no secret). */
  appClientId: string;
}

/** The redirect URI the DEV IdP registers for its native app client (never fetched). */
export const DEV_APP_REDIRECT_URI = 'http://127.0.0.1/callback';

/**
 * What a native chat app does before enrolling with an ID token in hand: authorization code
 * + PKCE as a public client, with the nonce bound to the device key (the service checks it).
 */
export async function devIdTokenFor(idp: DevIdpClient, login: string, nonce: string): Promise<string> {
  const config = await oidc.discovery(new URL(idp.issuer), idp.appClientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: DEV_APP_REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const { redirectedTo, finalPage } = await signInHeadless(url.href, { login });
  if (!redirectedTo) throw new DevSignInFailed(`the DEV IdP did not sign "${login}" in${pageError(finalPage)}`);
  const back = new URL(redirectedTo);
  if (back.searchParams.has('error')) {
    throw new DevSignInFailed(
      `the DEV IdP refused "${login}": ${back.searchParams.get('error')} ${back.searchParams.get('error_description') ?? ''}`.trim(),
    );
  }
  const tokens = await oidc.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  if (!tokens.id_token) throw new DevSignInFailed('the DEV IdP returned no ID token');
  return tokens.id_token;
}

export interface HeadlessEnrollmentConfirmation extends HeadlessSignIn {
  /** The code the enrolling device shows (what the person types). */
  code: string;
  /**
   * Maps a URL the service hands out (its PUBLIC_URL) to one this process can reach; tests
   * run the service behind a name no proxy serves.
   */
  reach?: (url: string) => string;
}

/** What the service's confirmation step answered: its status and page. */
export interface ConfirmationOutcome {
  status: number;
  page: string;
}

const HTML_ACCEPT = 'text/html,application/xhtml+xml';

async function fetchPage(url: string, jar: CookieJar, form?: Record<string, string>): Promise<{ status: number; page: string }> {
  const res = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { accept: HTML_ACCEPT, cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  jar.take(res);
  return { status: res.status, page: await res.text() };
}

/**
 * The person's side of a redirect or device enrollment, in a browser: (device flow) the code
 * typed on the service's activation page, the IdP sign-in, then the service's confirmation
 * page, filled with the device's code unless this browser already typed it. `start` is the
 * redirect flow's authorizationUrl or the device flow's verificationUri.
 */
export async function confirmEnrollmentHeadless(start: string, who: HeadlessEnrollmentConfirmation): Promise<ConfirmationOutcome> {
  const reach = who.reach ?? ((u: string) => u);
  const jar = new CookieJar();
  let authorizationUrl = start;
  if (new URL(start).pathname.endsWith('/v1/enrollments/activate')) {
    const activated = await fetchPage(reach(start), jar, { code: who.code });
    if (activated.status !== 200) return activated;
    const href = /id="sign-in" href="([^"]*)"/.exec(activated.page)?.[1];
    if (!href) throw new Error('the activation page has no sign-in link');
    authorizationUrl = decodeEntities(href);
  }
  const { redirectedTo, finalPage } = await signInHeadless(authorizationUrl, who);
  if (!redirectedTo) throw new DevSignInFailed(`the IdP did not sign "${who.login}" in${pageError(finalPage)}`);
  const shown = await fetchPage(reach(redirectedTo), jar);
  if (shown.status !== 200) return shown;
  const form = firstForm(shown.page, reach(redirectedTo));
  if (!form) throw new Error('the confirmation page has no form');
  const fields = { ...form.fields, ...(form.names.includes('confirmation') ? { confirmation: who.code } : {}) };
  return fetchPage(reach(form.action), jar, fields);
}

/** `mlsid device enroll --flow device --dev-user`: the person's browser side, against the DEV IdP. */
export async function devConfirmEnrollment(verificationUri: string, code: string, login: string): Promise<void> {
  const outcome = await confirmEnrollmentHeadless(verificationUri, { login, code });
  if (outcome.status !== 200) {
    const reason = /data-reason="([^"]*)"/.exec(outcome.page)?.[1];
    throw new DevSignInFailed(`the service did not confirm the device for "${login}" (${outcome.status}${reason ? ` ${reason}` : ''})`);
  }
}

/** oidc-provider's error page lists the error fields as <pre> lines. */
function pageError(html: string): string {
  const lines = [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/gi)].map((m) => decodeEntities(m[1]!.replace(/<[^>]+>/g, '')).trim());
  return lines.length > 0 ? `: ${lines.join('; ').slice(0, 300)}` : '';
}

export class DevSignInFailed extends Error {
  readonly code = 'ERR_DEV_SIGN_IN_FAILED';
}
