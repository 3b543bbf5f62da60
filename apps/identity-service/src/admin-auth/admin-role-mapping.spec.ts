import { AdminAuthErrors } from './admin-auth.errors.js';
import { groupsOf, mapAdminRoles } from './admin-role-mapping.js';

const none = { platformOrg: null, platformGroups: [] };
const policy = { groupsClaim: 'groups', map: { 'IT Admins': 'org-admin', 'aa0e1f9c-5d3b-4d0e-9f0c-1f5a8e1b2c3d': 'auditor' } } as const;

function refusal(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (AdminAuthErrors.is(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('admin role mapping', () => {
  it('maps Okta group names and Entra group ids by the same table', () => {
    expect(mapAdminRoles('acme', policy, { groups: ['Everyone', 'IT Admins'] }, none).roles).toEqual(['org-admin']);
    expect(mapAdminRoles('acme', policy, { groups: ['aa0e1f9c-5d3b-4d0e-9f0c-1f5a8e1b2c3d'] }, none).roles).toEqual(['auditor']);
  });

  it('refuses an admin with no mapped group, and one without the claim', () => {
    expect(refusal(() => mapAdminRoles('acme', policy, { groups: ['Everyone'] }, none))).toBe('admin_role_not_mapped');
    expect(refusal(() => mapAdminRoles('acme', policy, {}, none))).toBe('admin_role_not_mapped');
  });

  it('refuses the Entra groups overage rather than reading no groups', () => {
    expect(refusal(() => groupsOf({ _claim_names: { groups: 'src1' } }, 'groups'))).toBe('admin_groups_overage');
    expect(refusal(() => groupsOf({ hasgroups: true }, 'groups'))).toBe('admin_groups_overage');
  });

  it('does not read a role through the prototype', () => {
    expect(refusal(() => mapAdminRoles('acme', policy, { groups: ['constructor', 'toString', '__proto__'] }, none))).toBe('admin_role_not_mapped');
  });

  it('grants platform-admin only through the operator org', () => {
    const op = { platformOrg: 'ops', platformGroups: ['Platform Operators'] };
    expect(mapAdminRoles('ops', { groupsClaim: 'groups', map: {} }, { groups: ['Platform Operators'] }, op)).toMatchObject({
      roles: ['platform-admin'],
      platform: true,
    });
    expect(refusal(() => mapAdminRoles('acme', { groupsClaim: 'groups', map: {} }, { groups: ['Platform Operators'] }, op))).toBe(
      'admin_role_not_mapped',
    );
  });
});
