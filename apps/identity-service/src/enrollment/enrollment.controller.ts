import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/access/index.js';
import { asDomainError, statusOf } from '../common/errors/http-mapping.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { ActivateEnrollmentDto, ConfirmEnrollmentDto } from './dto/confirm-enrollment.dto.js';
import { CreateEnrollmentDto } from './dto/create-enrollment.dto.js';
import { refuse } from './enrollment.errors.js';
import { BINDING_COOKIE, EnrollmentService } from './enrollment.service.js';
import { DeviceEnrollmentService } from './device-enrollment.service.js';
import { AnonymousLimit } from './limits/anonymous-limit.guard.js';
import { EnrollmentRateLimits } from './limits/enrollment-rate-limits.service.js';
import { HTML_HEADERS } from './pages/html.js';
import { activationPage, enrolledPage, refusalPage } from './pages/enrollment-pages.js';
import { bearerOf } from './sessions/enrollment-secret.js';

/** A cookie of the request, by name (the service sets only one, so no parser is needed). */
function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A person's browser asks for HTML; API clients and tests get problem+json as everywhere else. */
function wantsHtml(req: Request): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

/**
 * Device enrollment. These routes are @Public() for the bearer-token guard because the
 * caller has no service credential yet: each authenticates itself another way — the ID
 * token (native flow), the IdP's redirect bound by `state` and PKCE and confirmed with the
 * device's code (callback), or the enrollment secret handed out when the enrollment started
 * (status and poll). The callback and activation routes are pages for a person's browser.
 */
@ApiTags('enrollment')
@Controller('v1')
export class EnrollmentController {
  constructor(
    private readonly enrollments: EnrollmentService,
    private readonly enrollment: DeviceEnrollmentService,
    private readonly limits: EnrollmentRateLimits,
  ) {}

  @Post('orgs/:org/enrollments')
  @Public()
  @AnonymousLimit('start')
  async create(@OrgParam() org: Org, @Body() body: CreateEnrollmentDto, @Req() req: Request) {
    const { idToken, flow, ...request } = body;
    // The org's own budget, whichever addresses the starts come from (a refusal is audited, aggregated).
    await this.enrollment.audited(org, { flow: flow ?? 'native' }, () => this.limits.admitOrgStart(org.id));
    if (idToken !== undefined) {
      if (flow !== undefined) refuse('request_invalid', 'send either idToken or flow, not both');
      return this.enrollments.withReceipt(await this.enrollments.enrollWithIdToken(org, { ...request, idToken }));
    }
    if (flow === 'redirect') return this.enrollments.startRedirect(org, request, req.ip);
    if (flow === 'device') return this.enrollments.startDevice(org, request, req.ip);
    refuse('request_invalid', "send an idToken, or flow 'redirect' or 'device'");
  }

  /** The IdP sent the browser back: the confirmation page (no code exchange yet). */
  @Get('enrollments/callback')
  @Public()
  @AnonymousLimit('lookup')
  async callback(@Req() req: Request, @Res() res: Response) {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    await this.html(req, res, () => this.enrollments.confirmationPage(query, req.ip, cookieOf(req, BINDING_COOKIE)));
  }

  /** The person confirmed the device on the page: code exchange and enrollment. */
  @Post('enrollments/callback')
  @Public()
  @AnonymousLimit('lookup')
  @HttpCode(200)
  async confirm(@Body() body: ConfirmEnrollmentDto, @Req() req: Request, @Res() res: Response) {
    await this.html(req, res, async () => enrolledPage(await this.enrollments.confirm(body, cookieOf(req, BINDING_COOKIE))));
  }

  /** The device flow's verification URI: a form for the code the device shows. */
  @Get('enrollments/activate')
  @Public()
  @AnonymousLimit('lookup')
  activate(@Res() res: Response) {
    res
      .status(200)
      .set(HTML_HEADERS)
      .send(activationPage({ action: this.enrollments.activationUrl }));
  }

  @Post('enrollments/activate')
  @Public()
  @AnonymousLimit('code')
  @HttpCode(200)
  async activated(@Body() body: ActivateEnrollmentDto, @Req() req: Request, @Res() res: Response) {
    await this.html(req, res, async () => {
      const { page, cookie } = await this.enrollments.activate(body.code, req.ip);
      res.cookie(cookie.name, cookie.value, {
        httpOnly: true,
        sameSite: 'lax',
        secure: cookie.secure,
        path: '/v1/enrollments',
        maxAge: cookie.maxAgeMs,
      });
      return page;
    });
  }

  @Get('enrollments/:id')
  @Public()
  @AnonymousLimit('lookup')
  async status(@Param('id') id: string, @Headers('authorization') authorization?: string) {
    return this.enrollments.withReceipt(await this.enrollments.status(id, bearerOf(authorization)));
  }

  @Post('enrollments/:id/poll')
  @Public()
  @AnonymousLimit('lookup')
  @HttpCode(200)
  async poll(@Param('id') id: string, @Headers('authorization') authorization?: string) {
    return this.enrollments.withReceipt(await this.enrollments.pollDevice(id, bearerOf(authorization)));
  }

  /**
   * Answers a page; a refusal is a page too for a browser (same status and `reason` as the
   * problem+json an API client gets, which the global filter renders).
   */
  private async html(req: Request, res: Response, render: () => Promise<string>): Promise<void> {
    let body: string;
    try {
      body = await render();
    } catch (e) {
      const refusal = asDomainError(e);
      if (!refusal || !wantsHtml(req)) throw e;
      res.status(statusOf(refusal)).set(HTML_HEADERS).send(refusalPage(refusal.code, refusal.message));
      return;
    }
    res.status(200).set(HTML_HEADERS).send(body);
  }
}
