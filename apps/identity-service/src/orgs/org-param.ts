import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import type { Org } from './org.entity.js';
import { OrgsService } from './orgs.service.js';

/** The `:org` path segment as the org it names (404 org_not_found), looked up once per request. */
@Injectable()
export class OrgBySlugPipe implements PipeTransform<string, Promise<Org>> {
  constructor(private readonly orgs: OrgsService) {}

  transform(slug: string): Promise<Org> {
    return this.orgs.requireBySlug(slug);
  }
}

/**
 * `@OrgParam() org: Org` on a handler: the org of the path, resolved after authentication (the
 * org-scope guard has already refused a principal of another org with the same 401 a wrong
 * token gets, so probing says nothing about which orgs exist).
 */
export const OrgParam = () => Param('org', OrgBySlugPipe);
