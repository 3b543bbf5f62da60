import { parse, serialize } from 'cookie';

/**
 * The admin console's cookies. `__Host-` makes browsers insist on Secure, Path=/ and no
 * Domain, so no sibling subdomain can set or shadow them; HttpOnly keeps them from scripts.
 * SameSite=Lax: the IdP's redirect back is a cross-site top-level GET that must carry the
 * sign-in cookie; state-changing requests are guarded by the CSRF header instead.
 */
export const ADMIN_SESSION_COOKIE = '__Host-mlsid-admin-session';
/** Binds a sign-in to the browser that started it, until the IdP sends it back. */
export const ADMIN_SIGN_IN_COOKIE = '__Host-mlsid-admin-sign-in';
/** Where a browser sign-in returns: set to `console` when the console started it (a fixed place, never a URL). */
export const ADMIN_THEN_COOKIE = '__Host-mlsid-admin-then';
/** The session's CSRF token (GET /v1/admin/session) on every unsafe request authenticated by the cookie. */
export const CSRF_HEADER = 'x-csrf-token';

export type HeaderBag = Record<string, string | string[] | undefined>;

export function cookieOf(headers: HeaderBag, name: string): string | undefined {
  const raw = headers.cookie;
  if (typeof raw !== 'string' || raw.length > 16 * 1024) return undefined;
  return parse(raw)[name];
}

export function setCookie(name: string, value: string, maxAgeS: number): string {
  return serialize(name, value, { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: maxAgeS });
}

export function clearCookie(name: string): string {
  return serialize(name, '', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 0 });
}

/** RFC 9110 §9.2.1 safe methods: everything else needs the CSRF header with a cookie session. */
export function isSafeMethod(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
