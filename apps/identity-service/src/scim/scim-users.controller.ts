import { Controller, Delete, Get, Headers, Param, Patch, Post, Put, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Authenticated, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { ScimExceptionFilter } from './scim-error.filter.js';
import { etag, holdsVersion, readListParams, requireJsonBody, scimCaller, sendScim } from './scim-request.js';
import { ScimUsersService } from './scim-users.service.js';
import { sendWritten, searchBody } from './scim-responses.js';

/** /Users, RFC 7644 §3.3–§3.6. */
@ApiExcludeController()
@Controller('scim/v2/:org/Users')
@Authenticated('scim')
@UseFilters(ScimExceptionFilter)
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Get()
  async list(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    sendScim(res, 200, await this.users.list(scimCaller(req, p), readListParams(q)));
  }

  @Post('.search')
  async search(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal) {
    sendScim(res, 200, await this.users.list(scimCaller(req, p), searchBody(requireJsonBody(req))));
  }

  @Get(':id')
  async get(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: Record<string, unknown>,
  ) {
    const { resource, version } = await this.users.get(scimCaller(req, p), id);
    const tag = etag(version);
    if (holdsVersion(req, tag)) return sendScim(res, 304, undefined, { ETag: tag });
    sendScim(res, 200, this.users.shape(resource, readListParams(q)), { ETag: tag });
  }

  @Post()
  async create(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const written = await this.users.create(scimCaller(req, p), requireJsonBody(req));
    sendWritten(res, 201, written, this.users.shape(written.resource, readListParams(q)));
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
    const written = await this.users.replace(scimCaller(req, p), id, requireJsonBody(req), ifMatch);
    sendWritten(res, 200, written, this.users.shape(written.resource, readListParams(q)));
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
    const written = await this.users.patch(scimCaller(req, p), id, requireJsonBody(req), ifMatch);
    const params = readListParams(q);
    if (params.attributes === undefined && params.excludedAttributes === undefined)
      return sendScim(res, 204, undefined, { ETag: etag(written.version) });
    sendWritten(res, 200, written, this.users.shape(written.resource, params));
  }

  @Delete(':id')
  async delete(
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Headers('if-match') ifMatch?: string,
  ) {
    await this.users.delete(scimCaller(req, p), id, ifMatch);
    sendScim(res, 204, undefined);
  }
}
