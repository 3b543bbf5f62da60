import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { issuedChainView } from '../certificates/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { KtReader } from '../transparency/index.js';
import { RenewDto } from './dto/renew.dto.js';
import { RenewalService } from './renewal.service.js';

@ApiTags('certificates')
@Controller('v1')
export class RenewalController {
  constructor(
    private readonly renewal: RenewalService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  /** Renewal signed with the device's current certificate key (Authorization: MLS-Device). */
  @Post('devices/:id/certificate/renew')
  @HttpCode(200)
  @Authenticated('device')
  async renew(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: RenewDto) {
    const device = p as Extract<Principal, { kind: 'device' }>;
    const issued = await this.renewal.renew(device, id, body.csr);
    this.outbox.nudge();
    const transparency = await this.kt.receipt({ id: device.orgId, slug: device.orgSlug }, issued.sha256, 'certificate_renewed');
    return { ...issuedChainView(issued, id), keyRotated: issued.rotated, transparency };
  }
}
