import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ApiBearerAuth } from '@nestjs/swagger';
import { OrgScopeGuard } from './org-scope.guard.js';
import type { PrincipalKind } from './principal.js';

export const AUTH_KINDS = 'mlsid:auth-kinds';

const STRATEGY: Record<PrincipalKind, string> = {
  admin: 'admin-bearer',
  scim: 'scim-bearer',
  ds: 'ds-bearer',
  auditor: 'auditor-bearer',
  device: 'device-signature',
};

/**
 * The route accepts callers of these kinds, each checked by its passport strategy, and
 * (for org-bound callers) only under their own org's `:org` path segment.
 */
export function Authenticated(...kinds: PrincipalKind[]) {
  return applyDecorators(SetMetadata(AUTH_KINDS, kinds), UseGuards(AuthGuard(kinds.map((k) => STRATEGY[k])), OrgScopeGuard), ApiBearerAuth());
}
