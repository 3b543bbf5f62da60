/**
 * What each admin role may do. One table, read by the access guard on every admin route, so
 * the role matrix in the docs and the tests is this object and nothing else.
 *
 * `platform-admin` is the operator of a multi-tenant deployment (and the break-glass token):
 * it holds every permission in every org. Every other role is held in exactly one org.
 */
export const ADMIN_ROLES = ['platform-admin', 'org-admin', 'security-admin', 'helpdesk', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Roles an org can map its IdP groups to (the platform role is never granted by an org). */
export const ORG_ADMIN_ROLES = ['org-admin', 'security-admin', 'helpdesk', 'auditor'] as const satisfies readonly AdminRole[];
export type OrgAdminRole = (typeof ORG_ADMIN_ROLES)[number];

const EVERY_ORG_ROLE: readonly OrgAdminRole[] = ORG_ADMIN_ROLES;
const CONFIGURES: readonly OrgAdminRole[] = ['org-admin'];
const SECURES: readonly OrgAdminRole[] = ['org-admin', 'security-admin'];
const SUPPORTS: readonly OrgAdminRole[] = ['org-admin', 'security-admin', 'helpdesk'];
const AUDITS: readonly OrgAdminRole[] = ['org-admin', 'security-admin', 'auditor'];

export const ADMIN_PERMISSIONS = {
  /** Create and list orgs: the platform operator only. */
  'platform:orgs': [],
  /** The caller's own session and identity (routes without `:org`). */
  self: EVERY_ORG_ROLE,
  /** The org's own record and settings as read. */
  'org:read': EVERY_ORG_ROLE,
  /** Org settings, IdP connections, SCIM tokens, DS clients, auditor tokens, role mapping. */
  'org:configure': CONFIGURES,
  /** Enrollment, certificate and membership policies. */
  'policy:manage': SECURES,
  /** CA, external-sender and log keys. */
  'keys:manage': SECURES,
  /** Revoke devices and certificates, suspend and resume accounts. */
  'revocations:manage': SECURES,
  /** Accounts, devices, certificates and groups as read. */
  'directory:read': SUPPORTS,
  /** Report a lost device, rename a device. */
  'devices:support': SUPPORTS,
  /** Re-base flagged groups, change room admins. */
  'groups:manage': SECURES,
  /** The audit log, its export and its chain verification. */
  'audit:read': AUDITS,
  /** The org's key-transparency log (tiles, proofs, histories). */
  'transparency:read': EVERY_ORG_ROLE,
  /** Reports and dashboards (removal latency, expiry horizon, enrollments). */
  'reports:read': EVERY_ORG_ROLE,
} as const satisfies Record<string, readonly OrgAdminRole[]>;

export type AdminPermission = keyof typeof ADMIN_PERMISSIONS;

/** Whether holding `roles` grants `permission`. Pure; the org check is the guard's. */
export function rolesGrant(roles: readonly AdminRole[], permission: AdminPermission): boolean {
  if (roles.includes('platform-admin')) return true;
  const allowed: readonly AdminRole[] = ADMIN_PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}
