import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminRoute, CurrentPrincipal, Public, type AdminPrincipal } from '../common/access/index.js';
import { asDomainError, statusOf } from '../common/errors/http-mapping.js';
import { AnonymousLimit, HTML_HEADERS } from '../enrollment/index.js';
import { OrgParam, OrgsService, type Org } from '../orgs/index.js';
import { AdminAuthErrors } from './admin-auth.errors.js';
import { ADMIN_SESSION_COOKIE, ADMIN_SIGN_IN_COOKIE, ADMIN_THEN_COOKIE, clearCookie, cookieOf, setCookie, type HeaderBag } from './admin-cookies.js';
import { csrfTokenOf, SESSION_MAX_S } from './admin-credentials.service.js';
import { cliApprovedPage, cliLoginPage, consoleRedirectPage, signedInPage, signInRefusedPage } from './admin-pages.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { CliLoginTokenDto } from './admin-sign-in.dto.js';
import { AdminSignInService } from './admin-sign-in.service.js';
import { CliLoginService } from './cli-login.service.js';

/** What both HTTP adapters give a handler (no Express types: the adapter may change). */
interface HttpRequest {
  headers: HeaderBag;
  ip?: string;
  query: Record<string, unknown>;
}
interface HttpResponse {
  header(name: string, value: string | string[]): unknown;
  status(code: number): unknown;
}

const SIGN_IN_COOKIE_MAX_AGE_S = 10 * 60;

function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') params.set(k, v);
  return params.toString();
}

/** The headers of every page this controller answers with. */
function htmlHeaders(res: HttpResponse): void {
  for (const [k, v] of Object.entries(HTML_HEADERS)) res.header(k, v);
}

function wantsHtml(req: HttpRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * Admin sign-in through the org's IdP (browser session with a CSRF header), the session's
 * whoami and sign-out, bearer tokens for the API, and the CLI's device-flow login. The routes
 * that start or finish a sign-in are public: the IdP's answer, bound by state, PKCE and the
 * sign-in cookie, is what authenticates them.
 */
@ApiTags('admin sign-in')
@Controller('v1/admin')
export class AdminSignInController {
  constructor(
    private readonly signIn: AdminSignInService,
    private readonly sessions: AdminSessionsService,
    private readonly cliLogins: CliLoginService,
    private readonly orgs: OrgsService,
  ) {}

  /**
   * Leaves for the org's IdP (`?connection=` names one when the org has several; `?then=console`
   * brings the browser back to the admin console when signed in).
   */
  @Get('orgs/:org/sign-in')
  @Public()
  @AnonymousLimit('start')
  @Redirect()
  async start(
    @OrgParam() org: Org,
    @Res({ passthrough: true }) res: HttpResponse,
    @Query('connection') connection?: string,
    @Query('then') then?: string,
  ) {
    const { authorizationUrl, browserSecret } = await this.signIn.start(org, typeof connection === 'string' ? connection : undefined);
    const cookies = [setCookie(ADMIN_SIGN_IN_COOKIE, browserSecret, SIGN_IN_COOKIE_MAX_AGE_S)];
    if (then === 'console') cookies.push(setCookie(ADMIN_THEN_COOKIE, 'console', SIGN_IN_COOKIE_MAX_AGE_S));
    res.header('set-cookie', cookies);
    res.header('cache-control', 'no-store');
    return { url: authorizationUrl, statusCode: 302 };
  }

  /** The IdP sent the browser back: the session cookie, and who signed in with which roles. */
  @Get('sign-in/callback')
  @Public()
  @AnonymousLimit('lookup')
  async callback(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse) {
    res.header('cache-control', 'no-store');
    let done: Awaited<ReturnType<AdminSignInService['callback']>>;
    try {
      done = await this.signIn.callback(queryString(req.query), cookieOf(req.headers, ADMIN_SIGN_IN_COOKIE), req.ip);
    } catch (e) {
      const refusal = asDomainError(e);
      if (!refusal || !wantsHtml(req)) throw e;
      // The sign-in cookie has done its job either way.
      res.header('set-cookie', clearCookie(ADMIN_SIGN_IN_COOKIE));
      res.status(statusOf(refusal));
      htmlHeaders(res);
      return signInRefusedPage(refusal.code, refusal.message);
    }
    const toConsole = cookieOf(req.headers, ADMIN_THEN_COOKIE) === 'console' && !done.cliLogin && wantsHtml(req);
    res.header('set-cookie', [
      clearCookie(ADMIN_SIGN_IN_COOKIE),
      ...(toConsole ? [clearCookie(ADMIN_THEN_COOKIE)] : []),
      setCookie(ADMIN_SESSION_COOKIE, done.session.secret, SESSION_MAX_S),
    ]);
    const org = done.identity.orgSlug;
    const csrfToken = csrfTokenOf(done.session.secret);
    if (toConsole) {
      // RFC 9110 §15.4.4: the browser fetches the console with GET, carrying the new session.
      res.status(303);
      res.header('location', '/console/');
      htmlHeaders(res);
      return consoleRedirectPage();
    }
    if (wantsHtml(req)) {
      htmlHeaders(res);
      return signedInPage(done.actor, org, done.identity.roles, done.cliLogin && { ...done.cliLogin, csrfToken });
    }
    return {
      actor: done.actor,
      org,
      roles: done.identity.roles,
      expiresAt: done.session.expiresAt.toISOString(),
      csrfToken,
      ...(done.cliLogin
        ? { cliLogin: { id: done.cliLogin.id, requestedFrom: done.cliLogin.requestedFrom, requestedAt: done.cliLogin.requestedAt.toISOString() } }
        : {}),
    };
  }

  /** Whoami: the signed-in admin, its roles, and (cookie sessions) the CSRF token to send as X-CSRF-Token. */
  @Get('session')
  @AdminRoute('self')
  async whoami(@CurrentPrincipal() p: AdminPrincipal, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse) {
    res.header('cache-control', 'no-store');
    const current = await this.sessions.current(p, req.headers);
    return {
      actor: p.actor,
      via: p.via,
      org: current?.identity.orgSlug ?? p.orgSlug,
      platform: p.orgId === null,
      roles: p.roles,
      ...(current
        ? {
            issuer: current.identity.issuer,
            subject: current.identity.subject,
            email: current.identity.email,
            name: current.identity.name,
            expiresAt: current.expiresAt.toISOString(),
          }
        : {}),
      ...(current?.kind === 'session' ? { csrfToken: csrfTokenOf(current.secret) } : {}),
    };
  }

  /** Ends the credential this request used (a session also ends the bearer tokens minted from it). */
  @Post('sign-out')
  @AdminRoute('self')
  @HttpCode(204)
  async signOut(@CurrentPrincipal() p: AdminPrincipal, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse) {
    await this.sessions.signOut(p, req.headers, req.ip);
    if (p.via === 'session') res.header('set-cookie', clearCookie(ADMIN_SESSION_COOKIE));
  }

  /** A bearer token (1 h at most, never past the session) for the API, minted from a browser session. */
  @Post('tokens')
  @AdminRoute('self')
  async mintToken(@CurrentPrincipal() p: AdminPrincipal, @Req() req: HttpRequest) {
    const current = await this.sessions.current(p, req.headers);
    if (!current || current.kind !== 'session') throw AdminAuthErrors.error('session_not_cookie', 'mint API tokens from a browser session');
    return this.sessions.mintBearer(current, req.ip);
  }

  /** `mlsid admin login`: RFC 8628 device authorization (the CLI then polls cli-logins/token). */
  @Post('orgs/:org/cli-logins')
  @Public()
  @AnonymousLimit('start')
  startCliLogin(@OrgParam() org: Org, @Req() req: HttpRequest) {
    return this.cliLogins.start(org, req.ip);
  }

  /** The verification page: with the code, the IdP sign-in that approves the CLI login. */
  @Get('cli-login')
  @Public()
  @AnonymousLimit('code')
  async cliLogin(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse) {
    res.header('cache-control', 'no-store');
    const code = req.query.code;
    if (code === undefined) {
      htmlHeaders(res);
      return cliLoginPage(this.cliLogins.verificationUri);
    }
    const pending = await this.cliLogins.pendingByUserCode(typeof code === 'string' ? code : undefined);
    const org = await this.orgs.findById(pending.orgId);
    if (!org) throw AdminAuthErrors.error('cli_login_code_invalid', 'the org of this CLI login no longer exists');
    const { authorizationUrl, browserSecret } = await this.signIn.start(org, undefined, pending.id);
    res.header('set-cookie', setCookie(ADMIN_SIGN_IN_COOKIE, browserSecret, SIGN_IN_COOKIE_MAX_AGE_S));
    res.header('location', authorizationUrl);
    res.status(302);
    return '';
  }

  /**
   * The signed-in admin approves a CLI login (the callback page's form, or X-CSRF-Token): only a
   * browser session of the login's org, never a bearer token.
   */
  @Post('cli-logins/:id/approve')
  @AdminRoute('self')
  @HttpCode(200)
  async approveCliLogin(
    @CurrentPrincipal() p: AdminPrincipal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ) {
    const current = await this.sessions.current(p, req.headers);
    if (!current || current.kind !== 'session') throw AdminAuthErrors.error('session_not_cookie', 'approve CLI logins from the browser session');
    await this.cliLogins.approve(current, id, req.ip);
    if (wantsHtml(req)) {
      htmlHeaders(res);
      return cliApprovedPage();
    }
    return { approved: true };
  }

  /** The CLI's poll (RFC 8628 §3.4): pending, slow_down, expired, or the bearer token once. */
  @Post('cli-logins/token')
  @Public()
  @AnonymousLimit('lookup')
  @HttpCode(200)
  pollCliLogin(@Body() body: CliLoginTokenDto) {
    return this.cliLogins.poll(body.deviceCode);
  }
}
