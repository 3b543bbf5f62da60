import 'reflect-metadata';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccountAdminController } from '../../apps/identity-service/src/admin/account-admin.controller.js';
import { ConnectionAdminController } from '../../apps/identity-service/src/admin/connection-admin.controller.js';
import { DeviceAdminController } from '../../apps/identity-service/src/admin/device-admin.controller.js';
import { ReportsController } from '../../apps/identity-service/src/admin/reports.controller.js';
import {
  ADMIN_PERMISSION,
  AUTH_KINDS,
  ORG_ADMIN_ROLES,
  OrgScopeGuard,
  rolesGrant,
  type AdminPermission,
  type AdminRole,
  type Principal,
} from '../../apps/identity-service/src/common/access/index.js';
import { AdminDevicesController } from '../../apps/identity-service/src/devices/admin-devices.controller.js';

/**
 * The management routes and the permission each declares, read from the decorators the
 * guard reads: the contract the console builds on, and the role matrix (every route × every org
 * role × own org / other org) through the org-scope guard itself.
 */
const EXPECTED: Record<string, AdminPermission> = {
  'GET v1/admin/orgs/:org/accounts': 'directory:read',
  'GET v1/admin/orgs/:org/accounts/:id': 'directory:read',
  'POST v1/admin/orgs/:org/accounts/:id/suspend': 'revocations:manage',
  'POST v1/admin/orgs/:org/accounts/:id/resume': 'revocations:manage',
  'GET v1/admin/orgs/:org/devices': 'directory:read',
  'GET v1/admin/orgs/:org/devices/:id': 'directory:read',
  'GET v1/admin/orgs/:org/devices/:id/groups': 'directory:read',
  'PATCH v1/admin/orgs/:org/devices/:id': 'devices:support',
  'POST v1/admin/orgs/:org/devices/:id/lost': 'devices:support',
  'PATCH v1/admin/orgs/:org/idp-connections/:id': 'org:configure',
  'PATCH v1/admin/orgs/:org/ds-clients/:id': 'org:configure',
  'POST v1/admin/orgs/:org/ds-clients/:id/rotate': 'org:configure',
  'POST v1/admin/orgs/:org/scim-tokens/:id/rotate': 'org:configure',
  'GET v1/admin/orgs/:org/reports/overdue-removals': 'reports:read',
  'GET v1/admin/orgs/:org/reports/devices-by-status': 'reports:read',
  'GET v1/admin/orgs/:org/reports/enrollments': 'reports:read',
  'GET v1/admin/orgs/:org/reports/certificate-expiry': 'reports:read',
};

interface Declared {
  permission: AdminPermission | undefined;
  kinds: unknown;
  controller: object;
  handler: object;
}

function declaredRoutes(): Map<string, Declared> {
  const out = new Map<string, Declared>();
  for (const controller of [AccountAdminController, DeviceAdminController, AdminDevicesController, ConnectionAdminController, ReportsController]) {
    const base: string = Reflect.getMetadata(PATH_METADATA, controller);
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler: unknown = (controller.prototype as unknown as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const sub: string | undefined = Reflect.getMetadata(PATH_METADATA, handler);
      if (name === 'constructor' || sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const path = [base, sub].filter((p) => p && p !== '/').join('/');
      out.set(`${method} ${path}`, {
        permission: Reflect.getMetadata(ADMIN_PERMISSION, handler) ?? Reflect.getMetadata(ADMIN_PERMISSION, controller),
        kinds: Reflect.getMetadata(AUTH_KINDS, controller),
        controller,
        handler,
      });
    }
  }
  return out;
}

describe('management routes: declared permissions', () => {
  const routes = declaredRoutes();

  it.each(Object.entries(EXPECTED))('%s needs %s, admins only', (route, permission) => {
    expect(routes.get(route)).toMatchObject({ permission, kinds: ['admin'] });
  });

  it('helpdesk reads and reports a lost device but cannot suspend or configure; an auditor only reads reports', () => {
    const allowed = (role: 'helpdesk' | 'auditor') =>
      Object.entries(EXPECTED)
        .filter(([, p]) => rolesGrant([role], p))
        .map(([r]) => r);
    expect(allowed('helpdesk')).toEqual(Object.keys(EXPECTED).filter((r) => !/suspend|resume|idp-connections|ds-clients|scim-tokens/.test(r)));
    expect(allowed('auditor')).toEqual(Object.keys(EXPECTED).filter((r) => r.includes('/reports/')));
  });

  it('the org-scope guard lets each role through exactly where its permissions reach, in its own org only', () => {
    const guard = new OrgScopeGuard(new Reflector());
    const outcome = (roles: AdminRole[], route: string, org: string) => {
      const { controller, handler } = routes.get(route)!;
      const principal: Principal = { kind: 'admin', actor: 'someone@acme', orgId: 'acme-id', orgSlug: 'acme', roles, via: 'session' };
      const context = {
        switchToHttp: () => ({ getRequest: () => ({ user: principal, params: { org } }) }),
        getHandler: () => handler,
        getClass: () => controller,
      } as unknown as ExecutionContext;
      try {
        return guard.canActivate(context) ? 'allowed' : 'refused';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    for (const role of ORG_ADMIN_ROLES) {
      for (const [route, permission] of Object.entries(EXPECTED)) {
        const expected = rolesGrant([role], permission) ? 'allowed' : 'admin_role_insufficient';
        expect([role, route, outcome([role], route, 'acme')]).toEqual([role, route, expected]);
        expect([role, route, outcome([role], route, 'globex')]).toEqual([role, route, 'token_not_for_org']);
      }
    }
  });
});
