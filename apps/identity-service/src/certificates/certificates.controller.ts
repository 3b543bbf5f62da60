import { BadRequestException, Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { decodeChainInput } from './certificate-input.js';
import { CertificateStatusService, type StatusQuery } from './certificate-status.service.js';
import { CertificateStatusDto, MAX_STATUS_QUERIES, RenewDto } from './dto/certificates.dto.js';
import { issuedChainView } from './issued-chain.view.js';
import { RenewalService } from './renewal.service.js';
import { OutboxWorker } from '../outbox/outbox.worker.js';
import { KtReader } from '../transparency/kt-reader.service.js';

@ApiTags('certificates')
@Controller('v1')
export class CertificatesController {
  constructor(
    private readonly status: CertificateStatusService,
    private readonly renewal: RenewalService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  /** Status of up to 1,000 chains or fingerprints, in the caller's org. */
  @Post('certificates/status')
  @HttpCode(200)
  @Authenticated('ds', 'device')
  async check(@CurrentPrincipal() p: Principal, @Body() body: CertificateStatusDto) {
    const queries: StatusQuery[] = [
      ...(body.chains ?? []).map((c, i) => ({ chain: decodeChainInput(c, `chains[${i}]`) })),
      ...(body.fingerprints ?? []).map((fingerprint) => ({ fingerprint })),
    ];
    if (queries.length === 0) throw new BadRequestException({ message: 'give chains or fingerprints', reason: 'empty' });
    if (queries.length > MAX_STATUS_QUERIES) {
      throw new BadRequestException({ message: `at most ${MAX_STATUS_QUERIES} queries per request`, reason: 'too_many' });
    }
    return { results: await this.status.check(p.orgId!, queries) };
  }

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
