import { Controller, Delete, Get, Inject, Param, Patch, Post, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { buildListResponse, ScimError, type JsonObject } from '#scim';
import { Authenticated, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { ScimExceptionFilter } from './scim-error.filter.js';
import { SCIM_DOCUMENTS, type ScimDocuments } from './scim-schema-files.js';
import { scimCaller, sendScim } from './scim-request.js';

/** The files hold relative meta.location values; served, they are absolute (RFC 7643 §3.1). */
function located(document: Record<string, unknown>, baseUrl: string): JsonObject {
  const meta = document.meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta.location !== 'string') return document as JsonObject;
  return { ...document, meta: { ...meta, location: `${baseUrl}${meta.location}` } } as JsonObject;
}

function meNotSupported(): ScimError {
  return new ScimError(501, '/Me is not supported: SCIM tokens authenticate the IdP, not a user');
}

/** RFC 7644 §4: discovery is not filterable; a filter is refused with 403 as §4 asks. */
function refuseFilter(q: Record<string, unknown>): void {
  if (Object.keys(q).some((k) => k.toLowerCase() === 'filter')) throw new ScimError(403, 'discovery endpoints do not support filtering');
}

/** /ServiceProviderConfig, /ResourceTypes, /Schemas (RFC 7644 §4) and /Me (not supported). */
@ApiExcludeController()
@Controller('scim/v2/:org')
@Authenticated('scim')
@UseFilters(ScimExceptionFilter)
export class ScimDiscoveryController {
  constructor(@Inject(SCIM_DOCUMENTS) private readonly documents: ScimDocuments) {}

  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    refuseFilter(q);
    const base = scimCaller(req, p).baseUrl;
    sendScim(res, 200, { ...located(this.documents.serviceProviderConfig, base), documentationUri: `${base}/Schemas` });
  }

  @Get('ResourceTypes')
  resourceTypes(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    refuseFilter(q);
    const base = scimCaller(req, p).baseUrl;
    const all = this.documents.resourceTypeDocuments.map((d) => located(d, base));
    sendScim(res, 200, buildListResponse(all, all.length, { startIndex: 1 }));
  }

  @Get('ResourceTypes/:id')
  resourceType(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const found = this.documents.resourceTypeDocuments.find((d) => String(d.id).toLowerCase() === id.toLowerCase());
    if (!found) throw new ScimError(404, `no ResourceType ${JSON.stringify(id).slice(0, 80)}`);
    sendScim(res, 200, located(found, scimCaller(req, p).baseUrl));
  }

  @Get('Schemas')
  schemas(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    refuseFilter(q);
    const base = scimCaller(req, p).baseUrl;
    const all = this.documents.schemaDocuments.map((d) => located(d, base));
    sendScim(res, 200, buildListResponse(all, all.length, { startIndex: 1 }));
  }

  @Get('Schemas/:id')
  schema(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const found = this.documents.schemaDocuments.find((d) => String(d.id).toLowerCase() === id.toLowerCase());
    if (!found) throw new ScimError(404, `no Schema ${JSON.stringify(id).slice(0, 200)}`);
    sendScim(res, 200, located(found, scimCaller(req, p).baseUrl));
  }

  // RFC 7644 §3.11: /Me needs a subject the SCIM token does not have (it is the IdP's, not a user's).
  @Get('Me') getMe(): never {
    throw meNotSupported();
  }
  @Post('Me') postMe(): never {
    throw meNotSupported();
  }
  @Put('Me') putMe(): never {
    throw meNotSupported();
  }
  @Patch('Me') patchMe(): never {
    throw meNotSupported();
  }
  @Delete('Me') deleteMe(): never {
    throw meNotSupported();
  }
}
