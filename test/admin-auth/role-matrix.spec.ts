import { CallHandler, ExecutionContext, HttpException, Injectable, Module, type NestInterceptor } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import { ADMIN_PERMISSIONS, ADMIN_ROLES, rolesGrant, type AdminRole } from '../../apps/identity-service/src/common/access/index.js';
import { routeTable, type RouteInfo } from '../support/route-table.js';
import { call } from '../support/test-app.js';
import { adminBearer, signInAdmin, startAdminFixture, type AdminFixture } from '../support/admin-sign-in.js';

/** Interceptors run after every guard: reaching one means the guards let the request through. */
const PASSED = 418;

const PROBE_HEADER = 'x-guard-decision-probe';

/** Only the matrix's requests are probed; signing in and minting tokens run for real. */
@Injectable()
class GuardDecisionProbe implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    if (req.headers[PROBE_HEADER] !== '1') return next.handle();
    throw new HttpException('the guards let this request through (the handler is not run)', PASSED);
  }
}

@Module({ imports: [DiscoveryModule], providers: [{ provide: APP_INTERCEPTOR, useClass: GuardDecisionProbe }] })
class GuardDecisionProbeModule {}

/** Group per role in the org `acme`; `beta` is the other org; `ops` the operator org. */
const USERS: Record<AdminRole, { login: string; org: string; group: string }> = {
  'platform-admin': { login: 'pat', org: 'ops', group: 'Platform Operators' },
  'org-admin': { login: 'oscar', org: 'acme', group: 'Acme Admins' },
  'security-admin': { login: 'sec', org: 'acme', group: 'Acme Security' },
  helpdesk: { login: 'hal', org: 'acme', group: 'Acme Helpdesk' },
  auditor: { login: 'aud', org: 'acme', group: 'Acme Auditors' },
};

/** What the guard must decide, from the permission table alone. */
function expectedAllowed(route: RouteInfo, role: AdminRole, target: 'own' | 'other'): boolean {
  if (role === 'platform-admin') return true;
  const scoped = route.path.includes(':org');
  if (!scoped) return route.adminPermission === 'self';
  if (target === 'other') return false;
  return route.adminPermission !== undefined && rolesGrant([role], route.adminPermission);
}

function concrete(path: string, org: string): string {
  return path.replace(':org', org).replace(/:[A-Za-z_]+/g, () => randomUUID());
}

/**
 * The role matrix: every admin route Nest registered (found at run time from the route
 * metadata, so routes added later are covered) × every role × its own org and another org,
 * against ADMIN_PERMISSIONS. Admins sign in for real (Okta-like groups) and call with bearer
 * tokens; a probe interceptor answers 418 once the guards have passed, so no handler runs.
 */
describe('admin role matrix', () => {
  let fx: AdminFixture;
  const tokens = new Map<AdminRole, string>();

  beforeAll(async () => {
    fx = await startAdminFixture('okta', {
      users: Object.fromEntries(Object.values(USERS).map((u) => [u.login, { email: `${u.login}@example.com`, groups: [u.group] }])),
      orgs: [
        {
          slug: 'acme',
          map: Object.fromEntries(
            Object.entries(USERS)
              .filter(([r]) => r !== 'platform-admin')
              .map(([r, u]) => [u.group, r]),
          ),
        },
        { slug: 'beta', map: { 'Beta Admins': 'org-admin' } },
        { slug: 'ops', map: {} },
      ],
      env: { PLATFORM_ADMIN_ORG: 'ops', PLATFORM_ADMIN_GROUPS: 'Platform Operators' },
      imports: [GuardDecisionProbeModule],
    });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  it('every admin route × every role × own org / other org is allowed exactly as ADMIN_PERMISSIONS says', async () => {
    for (const role of ADMIN_ROLES) {
      const u = USERS[role];
      const s = await signInAdmin(fx.t, u.org, u.login);
      expect([role, s.status, s.body.roles]).toEqual([role, 200, [role]]);
      tokens.set(role, await adminBearer(fx.t, s));
    }
    const routes = routeTable(fx.t.app).filter((r) => r.authKinds.includes('admin'));
    expect(routes.length).toBeGreaterThanOrEqual(15);
    // Every declared permission is one of the table's.
    for (const r of routes) if (r.adminPermission) expect(Object.keys(ADMIN_PERMISSIONS)).toContain(r.adminPermission);

    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      for (const role of ADMIN_ROLES) {
        for (const target of ['own', 'other'] as const) {
          const org = target === 'own' ? 'acme' : 'beta';
          const res = await call(fx.t.url, route.method, concrete(route.path, org), {
            token: tokens.get(role),
            headers: { [PROBE_HEADER]: '1' },
          });
          const allowed = res.status === PASSED;
          const refusedByGuard = res.status === 401 || res.status === 403;
          if (!allowed && !refusedByGuard)
            wrong.push(`${route.method} ${route.path} ${role}/${target}: unexpected ${res.status} ${res.text.slice(0, 120)}`);
          else if (allowed !== expectedAllowed(route, role, target)) {
            wrong.push(
              `${route.method} ${route.path} (${route.adminPermission ?? 'platform only'}) ${role}/${target}: ${allowed ? 'allowed' : `refused ${res.status}`}`,
            );
          }
          checked++;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routes.length * ADMIN_ROLES.length * 2);
  }, 240_000);
});
