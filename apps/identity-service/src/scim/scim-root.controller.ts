import { Controller, Delete, Get, Patch, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { buildListResponse, normalizePaging, pagingToOffset, ScimError, type JsonObject } from '#scim';
import { Authenticated, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { ScimBulkService } from './scim-bulk.service.js';
import { ScimExceptionFilter } from './scim-error.filter.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { requireJsonBody, scimCaller, sendScim } from './scim-request.js';
import { searchBody } from './scim-responses.js';
import { MAX_RESULTS } from './scim-list.js';
import { ScimUsersService } from './scim-users.service.js';

function noEndpoint(): ScimError {
  return new ScimError(404, 'no such SCIM endpoint');
}

/** Root-level operations: /.search over every type (RFC 7644 §3.4.3), /Bulk (§3.7), and SCIM 404s. */
@ApiExcludeController()
@Controller('scim/v2/:org')
@Authenticated('scim')
@UseFilters(ScimExceptionFilter)
export class ScimRootController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
    private readonly bulk: ScimBulkService,
  ) {}

  /**
   * Users then Groups as one sequence. A filter naming an attribute only one type has
   * (members.value) selects nothing of the other; a filter neither type can evaluate is invalid.
   */
  @Post('.search')
  async search(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal) {
    const caller = scimCaller(req, p);
    const params = searchBody(requireJsonBody(req));
    const paging = normalizePaging(params, { maxResults: MAX_RESULTS });
    const { offset, limit } = pagingToOffset(paging);
    const attempt = async (run: () => Promise<{ total: number; resources: JsonObject[] }>) => {
      try {
        return await run();
      } catch (e) {
        if (e instanceof ScimError && e.scimType === 'invalidFilter' && params.filter !== undefined) return e;
        throw e;
      }
    };
    const users = await attempt(() => this.users.window(caller, params, offset, limit));
    const usersTotal = users instanceof ScimError ? 0 : users.total;
    const userItems = users instanceof ScimError ? [] : users.resources;
    const groupOffset = Math.max(0, offset - usersTotal);
    const groups = await attempt(() => this.groups.window(caller, params, groupOffset, Math.max(0, limit - userItems.length)));
    if (users instanceof ScimError && groups instanceof ScimError) throw users;
    const groupsTotal = groups instanceof ScimError ? 0 : groups.total;
    const groupItems = groups instanceof ScimError ? [] : groups.resources;
    sendScim(res, 200, buildListResponse([...userItems, ...groupItems], usersTotal + groupsTotal, paging));
  }

  @Post('Bulk')
  async runBulk(@Req() req: Request, @Res() res: Response, @CurrentPrincipal() p: Principal) {
    const declared = Number(req.get('content-length') ?? 0);
    sendScim(res, 200, await this.bulk.run(scimCaller(req, p), requireJsonBody(req), declared));
  }

  // Unknown SCIM paths answer in SCIM's format, not the service's problem+json.
  @Get('*rest') getUnknown(): never {
    throw noEndpoint();
  }
  @Post('*rest') postUnknown(): never {
    throw noEndpoint();
  }
  @Put('*rest') putUnknown(): never {
    throw noEndpoint();
  }
  @Patch('*rest') patchUnknown(): never {
    throw noEndpoint();
  }
  @Delete('*rest') deleteUnknown(): never {
    throw noEndpoint();
  }
}
