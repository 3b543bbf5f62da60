import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import {
  ADMIN_SESSION_COOKIE,
  AdminAuthErrors,
  AdminCredentialsService,
  cookieOf,
  CSRF_HEADER,
  csrfTokenOf,
  isSafeMethod,
  type HeaderBag,
} from '../admin-auth/index.js';
import type { Principal } from '../common/access/index.js';
import { secretsEqual } from '../common/secrets-equal.js';

interface CookieRequest {
  method?: string;
  headers: HeaderBag;
  body?: unknown;
}

/** The header, or (an HTML form cannot set headers) a `csrfToken` field of a form body. */
function presentedCsrf(req: CookieRequest): unknown {
  const header = req.headers[CSRF_HEADER];
  if (header !== undefined) return header;
  const contentType = req.headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.startsWith('application/x-www-form-urlencoded')) return undefined;
  return typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>).csrfToken : undefined;
}

/**
 * The admin console's browser session: the session cookie, and on every unsafe method the
 * session's CSRF token in X-CSRF-Token (a cross-site form carries the cookie, never the header;
 * the service's own forms carry it as a hidden field, which another site cannot read).
 */
@Injectable()
export class AdminSessionStrategy extends PassportStrategy(Strategy, 'admin-session') {
  constructor(private readonly credentials: AdminCredentialsService) {
    super();
  }

  async validate(req: CookieRequest): Promise<Principal | false> {
    const secret = cookieOf(req.headers, ADMIN_SESSION_COOKIE);
    if (!secret) return false;
    const found = await this.credentials.resolve(secret, 'session');
    if (!found) return false;
    if (!isSafeMethod(req.method)) {
      const presented = presentedCsrf(req);
      if (typeof presented !== 'string' || !secretsEqual(presented, csrfTokenOf(secret))) {
        throw AdminAuthErrors.error('csrf_token_invalid', 'this request needs the X-CSRF-Token header of the session (GET /v1/admin/session)');
      }
    }
    return found.principal;
  }
}
