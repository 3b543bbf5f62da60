import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { encodePem } from '#x509-profile';
import { Public } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { CertificateErrors } from './certificates.errors.js';
import { OrgCaService } from './org-ca.service.js';

/** A CRL may be cached at most this long, and never past its own nextUpdate. */
const MAX_CRL_CACHE_SECONDS = 60;

/**
 * Public PKI material: trust bundles and CRLs. Deliberately unauthenticated — relying
 * parties (including OpenSSL following a CRL distribution point) fetch them without
 * credentials, and they hold no secrets; CAs are signed, so tampering is detectable.
 */
@ApiTags('pki')
@Controller('pki/:org')
export class PkiController {
  constructor(private readonly cas: OrgCaService) {}

  @Get('roots.pem')
  @Public()
  async roots(@OrgParam() org: Org, @Res() res: Response) {
    const roots = await this.cas.trusted(org.id, 'root');
    res.type('application/pem-certificate-chain').setHeader('Cache-Control', 'public, max-age=300');
    res.send(roots.map((c) => encodePem(c.der, 'CERTIFICATE')).join(''));
  }

  @Get('intermediates.pem')
  @Public()
  async intermediates(@OrgParam() org: Org, @Res() res: Response) {
    const list = await this.cas.trusted(org.id, 'intermediate');
    res.type('application/pem-certificate-chain').setHeader('Cache-Control', 'public, max-age=300');
    res.send(list.map((c) => encodePem(c.der, 'CERTIFICATE')).join(''));
  }

  /** `{caId}.crl` (DER, application/pkix-crl) or `{caId}.pem`. */
  @Get('crl/:file')
  @Public()
  async crl(@OrgParam() org: Org, @Param('file') file: string, @Res() res: Response) {
    const match = /^([0-9a-f-]{36})\.(crl|pem)$/.exec(file);
    if (!match) throw CertificateErrors.error('crl_not_found', 'CRLs are at /pki/{org}/crl/{caId}.crl or .pem');
    const ca = await this.cas.byId(org.id, match[1]);
    if (!ca || !ca.crlDer || !ca.crlNextUpdate || !ca.crlThisUpdate) throw CertificateErrors.error('crl_not_found', `no CRL for CA ${match[1]}`);
    const secondsLeft = Math.floor((ca.crlNextUpdate.getTime() - Date.now()) / 1000);
    const maxAge = Math.max(0, Math.min(MAX_CRL_CACHE_SECONDS, secondsLeft));
    res.setHeader('Cache-Control', `public, max-age=${maxAge}, must-revalidate`);
    res.setHeader('Expires', new Date(Date.now() + maxAge * 1000).toUTCString());
    res.setHeader('Last-Modified', ca.crlThisUpdate.toUTCString());
    res.setHeader('ETag', `"crl-${ca.id}-${ca.crlNumber}"`);
    if (match[2] === 'crl') res.type('application/pkix-crl').send(ca.crlDer);
    else res.type('application/x-pem-file').send(encodePem(ca.crlDer, 'X509 CRL'));
  }
}
