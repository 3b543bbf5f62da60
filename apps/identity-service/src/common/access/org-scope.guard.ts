import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AuthErrors } from './auth.errors.js';
import type { Principal } from './principal.js';

/**
 * A token of org A is not a credential for org B: where the path names an org, an
 * org-bound principal must belong to it. The answer is the same 401 a wrong token gets, so
 * probing says nothing about which orgs exist.
 */
@Injectable()
export class OrgScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const principal = req.user;
    if (!principal) return AuthErrors.raise('authentication_required', 'authentication required');
    const org = req.params?.org;
    if (principal.kind === 'admin' || org === undefined) return true;
    if (principal.orgSlug !== org) return AuthErrors.raise('token_not_for_org', 'the token is not valid for this org');
    return true;
  }
}
