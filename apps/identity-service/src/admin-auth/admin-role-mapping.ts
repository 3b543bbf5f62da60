import type { JWTPayload } from 'jose';
import type { AdminRole, OrgAdminRole } from '../common/access/index.js';
import type { AdminRolesPolicy } from '../orgs/index.js';
import { AdminAuthErrors } from './admin-auth.errors.js';

/** Where the platform role comes from: members of these groups signing in through this org. */
export interface PlatformRoleSource {
  platformOrg: string | null;
  platformGroups: readonly string[];
}

export interface MappedRoles {
  roles: AdminRole[];
  /** Holds platform-admin: a platform principal (no org), whatever org it signed in through. */
  platform: boolean;
  /** The groups that granted something (for the audit trail). */
  matchedGroups: string[];
}

/** The groups claim as a list of strings; refuses Entra's groups overage instead of guessing. */
export function groupsOf(claims: JWTPayload, claim: string): string[] {
  const names = claims._claim_names;
  // Entra replaces `groups` by a pointer to Graph when there are too many (more than 200 in a JWT);
  // `hasgroups: true` is the implicit-flow variant. Reading none would silently drop roles.
  const overage = (typeof names === 'object' && names !== null && Object.hasOwn(names, claim)) || claims.hasgroups === true;
  if (overage) {
    throw AdminAuthErrors.error(
      'admin_groups_overage',
      `the ID token carries no "${claim}" claim but an overage indicator: the IdP has too many groups for this admin`,
    );
  }
  const v = claims[claim];
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((g): g is string => typeof g === 'string');
  return [];
}

/**
 * The admin's roles from the groups in the ID token and the org's map (plus platform-admin
 * from the deployment's operator org). No role at all is a refusal.
 */
export function mapAdminRoles(orgSlug: string, policy: AdminRolesPolicy, claims: JWTPayload, platform: PlatformRoleSource): MappedRoles {
  const groups = groupsOf(claims, policy.groupsClaim);
  const roles = new Set<AdminRole>();
  const matched: string[] = [];
  for (const g of groups) {
    if (!Object.hasOwn(policy.map, g)) continue;
    roles.add(policy.map[g] as OrgAdminRole);
    matched.push(g);
  }
  const isPlatform = platform.platformOrg === orgSlug && groups.some((g) => platform.platformGroups.includes(g));
  if (isPlatform) {
    roles.add('platform-admin');
    matched.push(...groups.filter((g) => platform.platformGroups.includes(g)));
  }
  if (roles.size === 0) {
    throw AdminAuthErrors.error(
      'admin_role_not_mapped',
      groups.length === 0
        ? `the ID token has no "${policy.groupsClaim}" claim: the IdP sends no groups for this admin (or the org maps another claim)`
        : 'none of your groups is mapped to an admin role in this org',
    );
  }
  return { roles: [...roles].sort(), platform: isPlatform, matchedGroups: [...new Set(matched)] };
}
