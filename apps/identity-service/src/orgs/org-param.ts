import { createParamDecorator, Injectable, Param, type ExecutionContext, type PipeTransform } from '@nestjs/common';
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

/** An org's identity, all a read-only route needs of it. */
export interface OrgRef {
  id: string;
  slug: string;
}

interface SlugAndCaller {
  slug: string;
  caller?: { orgId?: string | null; orgSlug?: string };
}

/**
 * The `:org` segment as an OrgRef without a database round trip when the caller is bound to
 * that org (the org-scope guard has checked it is), looked up otherwise (404 org_not_found).
 */
@Injectable()
export class OrgRefPipe implements PipeTransform<SlugAndCaller, Promise<OrgRef>> {
  constructor(private readonly orgs: OrgsService) {}

  async transform({ slug, caller }: SlugAndCaller): Promise<OrgRef> {
    if (caller?.orgId && caller.orgSlug === slug) return { id: caller.orgId, slug };
    const org = await this.orgs.requireBySlug(slug);
    return { id: org.id, slug: org.slug };
  }
}

const OrgSlugAndCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): SlugAndCaller => {
  const req = ctx.switchToHttp().getRequest<{ params?: Record<string, string>; user?: SlugAndCaller['caller'] }>();
  return { slug: req.params?.org ?? '', caller: req.user };
});

/** `@OrgRefParam() org: OrgRef`: the path's org for routes that need only its id (hot read paths). */
export const OrgRefParam = () => OrgSlugAndCaller(OrgRefPipe);
