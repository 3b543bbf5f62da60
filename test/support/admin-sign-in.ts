import { randomBytes } from 'node:crypto';
import type { DynamicModule } from '@nestjs/common';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { createTestDatabase } from './database.js';
import { call, createTestApp, type TestApp } from './test-app.js';
import { signInHeadless, startTestIdp, type TestIdp, type TestIdpProfile, type TestIdpUser } from './test-idp.js';

/**
 * Admins signing in for real: a test IdP (Okta-like group names or Entra-like group ids), a
 * service whose orgs map those groups to admin roles, and `signInAdmin`, which walks the
 * browser's path (sign-in route, IdP login form, callback) and returns the session cookie and
 * its CSRF token. The console's tests build on it.
 */

/** Where the service says it lives; the IdP sends the browser back there, the helper maps it to the test server. */
export const ADMIN_PUBLIC_URL = 'http://mlsid.test';
export const ADMIN_SERVICE_CLIENT = { clientId: 'mls-identity-admin', clientSecret: 'admin-service-secret-0123456789ab' };
export const SESSION_COOKIE = '__Host-mlsid-admin-session';
export const SIGN_IN_COOKIE = '__Host-mlsid-admin-sign-in';
export const CSRF_HEADER = 'X-CSRF-Token';

export interface AdminOrgSpec {
  slug: string;
  /** The org's adminRoles.map: group (name or id) -> role. */
  map: Record<string, string>;
  groupsClaim?: string;
}

export interface AdminFixture {
  t: TestApp;
  idp: TestIdp;
  orgIds: Record<string, string>;
  close(): Promise<void>;
}

export async function startAdminFixture(
  profile: TestIdpProfile,
  options: {
    users: Record<string, TestIdpUser>;
    orgs: AdminOrgSpec[];
    env?: Record<string, string>;
    imports?: DynamicModule['imports'];
    /** Where the service says it lives (default ADMIN_PUBLIC_URL); a browser test maps it to the test server. */
    publicUrl?: string;
  },
): Promise<AdminFixture> {
  const publicUrl = options.publicUrl ?? ADMIN_PUBLIC_URL;
  const idp = await startTestIdp({
    profile,
    clients: [
      {
        clientId: ADMIN_SERVICE_CLIENT.clientId,
        clientSecret: ADMIN_SERVICE_CLIENT.clientSecret,
        redirectUris: [`${publicUrl}/v1/admin/sign-in/callback`, `${publicUrl}/v1/enrollments/callback`],
      },
    ],
    users: options.users,
  });
  const db = await createTestDatabase();
  const t = await createTestApp({
    db,
    env: { PUBLIC_URL: publicUrl, KEK: randomBytes(32).toString('base64'), OUTBOX_POLL_MS: '60000', ...options.env },
    imports: options.imports,
  });
  const orgs = t.app.get(OrgsService);
  const orgIds: Record<string, string> = {};
  for (const spec of options.orgs) {
    const org = await orgs.create('test', spec.slug, spec.slug);
    orgIds[spec.slug] = org.id;
    await orgs.addIdpConnection('test', org, {
      name: profile,
      kind: profile,
      issuer: idp.issuer,
      clientId: ADMIN_SERVICE_CLIENT.clientId,
      clientSecret: ADMIN_SERVICE_CLIENT.clientSecret,
    });
    // Through the API, so the setting's validation is the one admins meet.
    const set = await call(t.url, 'PATCH', `/v1/admin/orgs/${spec.slug}/settings`, {
      token: t.adminToken,
      body: { settings: { adminRoles: { groupsClaim: spec.groupsClaim ?? 'groups', map: spec.map } } },
    });
    if (set.status !== 200) throw new Error(`adminRoles not accepted: ${set.status} ${set.text}`);
  }
  return {
    t,
    idp,
    orgIds,
    async close() {
      await t.close();
      await db.drop();
      await idp.close();
    },
  };
}

/** A Set-Cookie value by cookie name, from a response. */
export function setCookieValue(headers: Headers, name: string): string | undefined {
  for (const line of headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair.startsWith(`${name}=`)) return decodeURIComponent(pair.slice(name.length + 1));
  }
  return undefined;
}

export interface AdminSignIn {
  /** The callback's status: 200 signed in, 403 refused (body.reason says why). */
  status: number;
  body: any;
  /** The page, when asked for HTML. */
  text: string;
  contentType: string | null;
  /** The session cookie's value (signed in only). */
  session?: string;
  /** `cookie` request header carrying the session. */
  cookie?: string;
  csrfToken?: string;
}

/** The IdP's answer URL (on PUBLIC_URL) as the test server's URL. */
export function toTestServer(t: TestApp, url: string): string {
  const u = new URL(url);
  return `${t.url}${u.pathname}${u.search}`;
}

/**
 * The browser's whole sign-in: GET /v1/admin/orgs/{org}/sign-in (sign-in cookie, redirect to
 * the IdP), the IdP's login form as `login`, then the callback with the sign-in cookie.
 * `start` overrides the first URL (the CLI login's verification page).
 */
export async function signInAdmin(
  t: TestApp,
  org: string,
  login: string,
  options: { start?: string; keepSignInCookie?: boolean; deny?: boolean; html?: boolean } = {},
): Promise<AdminSignIn> {
  const started = await fetch(options.start ?? `${t.url}/v1/admin/orgs/${org}/sign-in`, { redirect: 'manual' });
  if (started.status !== 302) throw new Error(`sign-in did not redirect: ${started.status} ${await started.text()}`);
  const browser = setCookieValue(started.headers, SIGN_IN_COOKIE);
  const { redirectedTo, finalPage } = await signInHeadless(started.headers.get('location')!, { login, deny: options.deny });
  if (!redirectedTo) throw new Error(`the IdP did not send the browser back: ${finalPage.slice(0, 300)}`);
  const back = await call(t.url, 'GET', new URL(toTestServer(t, redirectedTo)).pathname + new URL(redirectedTo).search, {
    headers: {
      ...(options.keepSignInCookie === false || !browser ? {} : { cookie: `${SIGN_IN_COOKIE}=${browser}` }),
      ...(options.html ? { accept: 'text/html' } : {}),
    },
  });
  const session = setCookieValue(back.headers, SESSION_COOKIE);
  return {
    status: back.status,
    body: back.body,
    text: back.text,
    contentType: back.headers.get('content-type'),
    session,
    cookie: session ? `${SESSION_COOKIE}=${session}` : undefined,
    csrfToken: back.body?.csrfToken,
  };
}

/** A request as the signed-in console would send it: the session cookie, and the CSRF header on unsafe methods. */
export function asSession(t: TestApp, s: AdminSignIn, method: string, path: string, body?: unknown, options: { csrf?: string | null } = {}) {
  const csrf = options.csrf === undefined ? s.csrfToken : options.csrf;
  return call(t.url, method, path, {
    body,
    headers: { cookie: s.cookie!, ...(csrf !== null && csrf !== undefined && !['GET', 'HEAD'].includes(method) ? { [CSRF_HEADER]: csrf } : {}) },
  });
}

/** A bearer token for the signed-in admin (POST /v1/admin/tokens from the session). */
export async function adminBearer(t: TestApp, s: AdminSignIn): Promise<string> {
  const minted = await asSession(t, s, 'POST', '/v1/admin/tokens');
  if (minted.status !== 201) throw new Error(`no admin token: ${minted.status} ${minted.text}`);
  return minted.body.token as string;
}
