import { ADMIN_PERMISSIONS, rolesGrant, type AdminPermission } from './admin-roles.js';

describe('admin roles', () => {
  const every = Object.keys(ADMIN_PERMISSIONS) as AdminPermission[];

  it('a platform admin holds every permission', () => {
    for (const p of every) expect(rolesGrant(['platform-admin'], p)).toBe(true);
  });

  it('no org role creates or lists orgs', () => {
    expect(rolesGrant(['org-admin', 'security-admin', 'helpdesk', 'auditor'], 'platform:orgs')).toBe(false);
  });

  it('helpdesk sees people and devices and reports a lost device, but configures nothing and reads no audit log', () => {
    expect(rolesGrant(['helpdesk'], 'directory:read')).toBe(true);
    expect(rolesGrant(['helpdesk'], 'devices:support')).toBe(true);
    for (const p of ['org:configure', 'policy:manage', 'keys:manage', 'revocations:manage', 'audit:read', 'groups:manage'] as const)
      expect(rolesGrant(['helpdesk'], p)).toBe(false);
  });

  it('an auditor only reads the audit log, the log and reports', () => {
    const granted = every.filter((p) => rolesGrant(['auditor'], p)).sort();
    expect(granted).toEqual(['audit:read', 'org:read', 'reports:read', 'self', 'transparency:read']);
  });

  it('a security admin manages keys, revocations and policies but not the org configuration', () => {
    for (const p of ['keys:manage', 'revocations:manage', 'policy:manage', 'audit:read'] as const)
      expect(rolesGrant(['security-admin'], p)).toBe(true);
    expect(rolesGrant(['security-admin'], 'org:configure')).toBe(false);
  });

  it('no roles, no permission', () => {
    for (const p of every) expect(rolesGrant([], p)).toBe(false);
  });
});
