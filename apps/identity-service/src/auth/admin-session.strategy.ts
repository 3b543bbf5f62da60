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
}

/**
 * The admin console's browser session: the session cookie, and on every unsafe method the
 * session's CSRF token in X-CSRF-Token (a cross-site form carries the cookie, never the header).
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
      const presented = req.headers[CSRF_HEADER];
      if (typeof presented !== 'string' || !secretsEqual(presented, csrfTokenOf(secret))) {
        throw AdminAuthErrors.error('csrf_token_invalid', 'this request needs the X-CSRF-Token header of the session (GET /v1/admin/session)');
      }
    }
    return found.principal;
  }
}
