import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { RequestErrors } from '../common/errors/request.errors.js';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { decodeChainInput } from './certificate-input.js';
import { CertificateStatusService, type StatusQuery } from './certificate-status.service.js';
import { CertificateStatusDto, MAX_STATUS_QUERIES } from './dto/certificates.dto.js';

@ApiTags('certificates')
@Controller('v1')
export class CertificatesController {
  constructor(private readonly status: CertificateStatusService) {}

  /** Status of up to 1,000 chains or fingerprints, in the caller's org. */
  @Post('certificates/status')
  @HttpCode(200)
  @Authenticated('ds', 'device')
  async check(@CurrentPrincipal() p: Principal, @Body() body: CertificateStatusDto) {
    const queries: StatusQuery[] = [
      ...(body.chains ?? []).map((c, i) => ({ chain: decodeChainInput(c, `chains[${i}]`) })),
      ...(body.fingerprints ?? []).map((fingerprint) => ({ fingerprint })),
    ];
    if (queries.length === 0) throw RequestErrors.error('empty', 'give chains or fingerprints');
    if (queries.length > MAX_STATUS_QUERIES) {
      throw RequestErrors.error('too_many', `at most ${MAX_STATUS_QUERIES} queries per request`);
    }
    return { results: await this.status.check(p.orgId!, queries) };
  }
}
