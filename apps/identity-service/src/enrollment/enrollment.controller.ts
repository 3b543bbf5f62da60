import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { CreateEnrollmentDto } from './dto/create-enrollment.dto.js';
import { refuse } from './enrollment.errors.js';
import { EnrollmentService } from './enrollment.service.js';
import { bearerOf } from './sessions/enrollment-secret.js';

/**
 * Device enrollment. These routes are @Public() for the bearer-token guard because the
 * caller has no service credential yet: each authenticates itself another way — the ID
 * token (native flow), the IdP's redirect bound by `state` and PKCE (callback), or the
 * enrollment secret handed out when the enrollment started (status and poll).
 */
@ApiTags('enrollment')
@Controller('v1')
export class EnrollmentController {
  constructor(private readonly enrollments: EnrollmentService) {}

  @Post('orgs/:org/enrollments')
  @Public()
  async create(@OrgParam() org: Org, @Body() body: CreateEnrollmentDto) {
    const { idToken, flow, ...request } = body;
    if (idToken !== undefined) {
      if (flow !== undefined) refuse('request_invalid', 'send either idToken or flow, not both');
      return this.enrollments.withReceipt(await this.enrollments.enrollWithIdToken(org, { ...request, idToken }));
    }
    if (flow === 'redirect') return this.enrollments.startRedirect(org, request);
    if (flow === 'device') return this.enrollments.startDevice(org, request);
    refuse('request_invalid', "send an idToken, or flow 'redirect' or 'device'");
  }

  @Get('enrollments/callback')
  @Public()
  async callback(@Req() req: Request) {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const done = await this.enrollments.finishRedirect(query);
    return { ...done, message: 'Your device is enrolled. You can close this window and return to it.' };
  }

  @Get('enrollments/:id')
  @Public()
  async status(@Param('id') id: string, @Headers('authorization') authorization?: string) {
    return this.enrollments.withReceipt(await this.enrollments.status(id, bearerOf(authorization)));
  }

  @Post('enrollments/:id/poll')
  @Public()
  @HttpCode(200)
  async poll(@Param('id') id: string, @Headers('authorization') authorization?: string) {
    return this.enrollments.withReceipt(await this.enrollments.pollDevice(id, bearerOf(authorization)));
  }
}
