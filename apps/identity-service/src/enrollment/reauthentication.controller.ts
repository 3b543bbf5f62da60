import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../common/access/index.js';
import { issuedChainView } from '../certificates/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { KtReader } from '../transparency/index.js';
import { ReauthenticateDto } from './dto/reauthenticate.dto.js';
import { ReauthenticationService } from './reauthentication.service.js';

@ApiTags('certificates')
@Controller('v1')
export class ReauthenticationController {
  constructor(
    private readonly reauthentication: ReauthenticationService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  /**
   * An enrolled device signs in at the IdP again and keeps its identity. @Public() for the
   * bearer guard: the route authenticates itself twice over, by the ID token (the person) and
   * by the MLS-Device signature of the device key (checked by the service, which accepts a
   * certificate of this device that has lapsed, unlike the device-signature guard).
   */
  @Post('orgs/:org/devices/:id/reauthenticate')
  @Public()
  @HttpCode(200)
  async reauthenticate(
    @OrgParam() org: Org,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ReauthenticateDto,
    @Req() req: Request & { rawBody?: Buffer },
  ) {
    const issued = await this.reauthentication.reauthenticate(org, {
      deviceId: id,
      idToken: body.idToken,
      idpConnection: body.idpConnection,
      authorization: req.headers.authorization,
      request: { method: req.method, pathWithQuery: req.originalUrl, body: req.rawBody },
    });
    this.outbox.nudge();
    const transparency = await this.kt.receipt(org, issued.sha256, 'certificate_renewed');
    return { ...issuedChainView(issued, id), transparency };
  }
}
