import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { rolesGrant, type AdminPermission } from './admin-roles.js';
import { AuthErrors } from './auth.errors.js';
import { ADMIN_PERMISSION } from './authenticated.decorator.js';
import type { Principal } from './principal.js';

type ScopedRequest = { user?: Principal; params?: Record<string, string | undefined> };

/**
 * A credential of org A is not a credential for org B: where the path names an org, an
 * org-bound principal must belong to it. The answer is the same 401 a wrong token gets, so
 * probing says nothing about which orgs exist. An admin must also hold a role that grants the
 * route's declared permission; a route that declares none is open to platform admins only.
 */
@Injectable()
export class OrgScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<ScopedRequest>();
    const principal = req.user;
    if (!principal) return AuthErrors.raise('authentication_required', 'authentication required');
    const org = req.params?.org;
    if (principal.kind === 'admin') {
      if (principal.orgId !== null && org !== undefined && principal.orgSlug !== org)
        return AuthErrors.raise('token_not_for_org', 'the token is not valid for this org');
      const permission = this.reflector.getAllAndOverride<AdminPermission | undefined>(ADMIN_PERMISSION, [context.getHandler(), context.getClass()]);
      // Without `:org` in the path a route cannot be scoped by it, so org-bound admins reach
      // only the routes about themselves there.
      if (principal.orgId !== null && org === undefined && permission !== 'self' && !principal.roles.includes('platform-admin'))
        return AuthErrors.raise('admin_role_insufficient', 'this route belongs to the platform operator');
      if (!permission) {
        if (principal.roles.includes('platform-admin')) return true;
        return AuthErrors.raise('admin_role_insufficient', 'this route is open to platform admins only');
      }
      if (!rolesGrant(principal.roles, permission))
        return AuthErrors.raise('admin_role_insufficient', `the route needs the permission ${permission}, which none of your roles grants`);
      return true;
    }
    if (org === undefined) return true;
    if (principal.orgSlug !== org) return AuthErrors.raise('token_not_for_org', 'the token is not valid for this org');
    return true;
  }
}
