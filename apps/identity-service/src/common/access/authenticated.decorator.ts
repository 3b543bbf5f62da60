import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { AdminPermission } from './admin-roles.js';
import { OrgScopeGuard } from './org-scope.guard.js';
import type { PrincipalKind } from './principal.js';

export const AUTH_KINDS = 'mlsid:auth-kinds';
export const ADMIN_PERMISSION = 'mlsid:admin-permission';

/** Admins: a bearer token (minted after sign-in, or the break-glass token), or the console's session cookie. */
const STRATEGY: Record<PrincipalKind, string[]> = {
  admin: ['admin-bearer', 'admin-session'],
  scim: ['scim-bearer'],
  ds: ['ds-bearer'],
  auditor: ['auditor-bearer'],
  device: ['device-signature'],
};

/**
 * The route accepts callers of these kinds, each checked by its passport strategy, and
 * (for org-bound callers) only under their own org's `:org` path segment. An org-bound admin
 * is refused here unless the route also declares the permission it needs (`@AdminRoute`).
 */
export function Authenticated(...kinds: PrincipalKind[]) {
  return applyDecorators(SetMetadata(AUTH_KINDS, kinds), UseGuards(AuthGuard(kinds.flatMap((k) => STRATEGY[k])), OrgScopeGuard), ApiBearerAuth());
}

/**
 * An admin route: admins whose role grants `permission` in the path's org may call it, and so
 * may the other principal kinds listed (e.g. a device that is a room admin, an auditor token).
 */
export function AdminRoute(permission: AdminPermission, ...alsoKinds: Exclude<PrincipalKind, 'admin'>[]) {
  return applyDecorators(SetMetadata(ADMIN_PERMISSION, permission), Authenticated('admin', ...alsoKinds));
}

/** Overrides, for one handler, the permission its controller's `@AdminRoute` declares. */
export function Permission(permission: AdminPermission) {
  return SetMetadata(ADMIN_PERMISSION, permission);
}
