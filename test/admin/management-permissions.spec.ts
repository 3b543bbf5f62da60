import 'reflect-metadata';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { AccountAdminController } from '../../apps/identity-service/src/admin/account-admin.controller.js';
import { ConnectionAdminController } from '../../apps/identity-service/src/admin/connection-admin.controller.js';
import { DeviceAdminController } from '../../apps/identity-service/src/admin/device-admin.controller.js';
import { ReportsController } from '../../apps/identity-service/src/admin/reports.controller.js';
import { ADMIN_PERMISSION, AUTH_KINDS, rolesGrant, type AdminPermission } from '../../apps/identity-service/src/common/access/index.js';
import { AdminDevicesController } from '../../apps/identity-service/src/devices/admin-devices.controller.js';

/**
 * The management routes and the permission each declares, read from the decorators the
 * guard reads: the contract the console and the role matrix build on.
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

function declaredRoutes(): Map<string, { permission: AdminPermission | undefined; kinds: unknown }> {
  const out = new Map<string, { permission: AdminPermission | undefined; kinds: unknown }>();
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
      });
    }
  }
  return out;
}

describe('management routes: declared permissions', () => {
  const routes = declaredRoutes();

  it.each(Object.entries(EXPECTED))('%s needs %s, admins only', (route, permission) => {
    expect(routes.get(route)).toEqual({ permission, kinds: ['admin'] });
  });

  it('helpdesk reads and reports a lost device but cannot suspend or configure; an auditor only reads reports', () => {
    const allowed = (role: 'helpdesk' | 'auditor') =>
      Object.entries(EXPECTED)
        .filter(([, p]) => rolesGrant([role], p))
        .map(([r]) => r);
    expect(allowed('helpdesk')).toEqual(Object.keys(EXPECTED).filter((r) => !/suspend|resume|idp-connections|ds-clients|scim-tokens/.test(r)));
    expect(allowed('auditor')).toEqual(Object.keys(EXPECTED).filter((r) => r.includes('/reports/')));
  });
});
