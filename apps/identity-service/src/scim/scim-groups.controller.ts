import { Controller, Delete, Get, Headers, Param, Patch, Post, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Authenticated, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { ScimExceptionFilter } from './scim-error.filter.js';
import { etag, holdsVersion, readListParams, requireJsonBody, scimCaller, sendScim } from './scim-request.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { sendWritten, searchBody } from './scim-responses.js';

/** /Groups, RFC 7644 §3.3–§3.6. */
@ApiExcludeController()
@Controller('scim/v2/:org/Groups')
@Authenticated('scim')
@UseFilters(ScimExceptionFilter)
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    sendScim(res, 200, await this.groups.list(scimCaller(req, p), readListParams(q)));
  }

  @Post('.search')
  async search(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal) {
    sendScim(res, 200, await this.groups.list(scimCaller(req, p), searchBody(requireJsonBody(req))));
  }

  @Get(':id')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
  ) {
    const { resource, version } = await this.groups.get(scimCaller(req, p), id);
    const tag = etag(version);
    if (holdsVersion(req, tag)) return sendScim(res, 304, undefined, { ETag: tag });
    sendScim(res, 200, this.groups.shape(resource, readListParams(q)), { ETag: tag });
  }

  @Post()
  async create(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const written = await this.groups.create(scimCaller(req, p), requireJsonBody(req));
    sendWritten(res, 201, written, this.groups.shape(written.resource, readListParams(q)));
  }

  @Put(':id')
  async replace(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
    @Headers('if-match') ifMatch?: string,
  ) {
    const written = await this.groups.replace(scimCaller(req, p), id, requireJsonBody(req), ifMatch);
    sendWritten(res, 200, written, this.groups.shape(written.resource, readListParams(q)));
  }

  /** 204 unless the client asks for attributes (RFC 7644 §3.5.2 lets the server choose). */
  @Patch(':id')
  async patch(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
    @Headers('if-match') ifMatch?: string,
  ) {
    const params = readListParams(q);
    if (params.attributes === undefined && params.excludedAttributes === undefined) {
      const { version } = await this.groups.patchForVersion(scimCaller(req, p), id, requireJsonBody(req), ifMatch);
      return sendScim(res, 204, undefined, { ETag: etag(version) });
    }
    const written = await this.groups.patch(scimCaller(req, p), id, requireJsonBody(req), ifMatch);
    sendWritten(res, 200, written, this.groups.shape(written.resource, params));
  }

  @Delete(':id')
  async delete(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    await this.groups.delete(scimCaller(req, p), id, ifMatch);
    sendScim(res, 204, undefined);
  }
}
