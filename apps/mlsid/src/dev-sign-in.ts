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

/** Confirms a device code at the IdP as `login` would in a browser (RFC 8628 §3.3). */
export async function devConfirmUserCode(verificationUriComplete: string, login: string): Promise<void> {
  const { finalPage } = await signInHeadless(verificationUriComplete, { login });
  if (!finalPage.includes('Sign-in Success')) throw new DevSignInFailed(`the DEV IdP did not confirm the code for "${login}"${pageError(finalPage)}`);
}

/** oidc-provider's error page lists the error fields as <pre> lines. */
function pageError(html: string): string {
  const lines = [...html.matchAll(/<pre>([\s\S]*?)<\/pre>/gi)].map((m) => decodeEntities(m[1]!.replace(/<[^>]+>/g, '')).trim());
  return lines.length > 0 ? `: ${lines.join('; ').slice(0, 300)}` : '';
}

export class DevSignInFailed extends Error {
  readonly code = 'ERR_DEV_SIGN_IN_FAILED';
}
