import type { Request } from 'express';
import { Strategy } from 'passport-http-bearer';

/**
 * passport-http-bearer also takes the token from `?access_token=` and from an `access_token`
 * body member (RFC 6750 §2.2/§2.3), with no option to turn that off. Tokens in URLs end up in
 * access logs, proxy logs and browser history, and a body member lets a form post authenticate,
 * so our strategies see the request without them: the Authorization header is the only way in.
 */
export class HeaderOnlyBearerStrategy extends Strategy<never> {
  override authenticate(req: Request, options?: object): void {
    const headersOnly = Object.create(req, { query: { value: {} }, body: { value: undefined } }) as Request;
    super.authenticate(headersOnly, options);
  }
}
