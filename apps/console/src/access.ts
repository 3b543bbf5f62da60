import { rolesGrant, type AdminPermission, type AdminRole } from '../../identity-service/src/common/access/admin-roles.js';

export type { AdminPermission, AdminRole };

/**
 * What the signed-in admin may do, from the same role table the service's guard reads: the
 * console hides what the service would refuse, and the service still refuses it.
 */
export function can(roles: readonly AdminRole[], permission: AdminPermission): boolean {
  return rolesGrant(roles, permission);
}
