import { Inject, Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AdminAuthErrors, AdminCredentialsService } from '../admin-auth/index.js';
import { AuditService } from '../audit/index.js';
import type { Principal } from '../common/access/index.js';
import { secretsEqual } from '../common/secrets-equal.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { OrgsService } from '../orgs/index.js';
import { HeaderOnlyBearerStrategy } from './header-only-bearer.js';

/** What the strategy reads of the request (both HTTP adapters have it). */
interface BearerRequest {
  method?: string;
  url?: string;
  ip?: string;
  params?: Record<string, string | undefined>;
}

/**
 * `Authorization: Bearer` for admins: a token minted after an IdP sign-in (the admin's own
 * identity and roles), or the break-glass ADMIN_TOKEN, which is a platform admin, is audited
 * and logged as a warning at every use, and is refused where ADMIN_TOKEN_DISABLED=true.
 */
@Injectable()
export class AdminBearerStrategy extends PassportStrategy(HeaderOnlyBearerStrategy, 'admin-bearer') {
  private readonly log = new Logger('BreakGlass');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly credentials: AdminCredentialsService,
    private readonly audit: AuditService,
    private readonly orgs: OrgsService,
  ) {
    // passport-http-bearer hands the request to validate() first (the audit row names the route).
    super(...([{ passReqToCallback: true }] as unknown as []));
  }

  async validate(req: BearerRequest, token: string): Promise<Principal | false> {
    const breakGlass = this.config.adminToken;
    if (breakGlass && secretsEqual(token, breakGlass)) {
      if (!this.config.admin.breakGlass) {
        this.log.warn(`refused the break-glass ADMIN_TOKEN (turned off) on ${req.method} ${routeOf(req)} from ${req.ip}`);
        throw AdminAuthErrors.error('break_glass_disabled', 'the break-glass ADMIN_TOKEN is turned off: sign in through the IdP');
      }
      await this.recordBreakGlass(req);
      return { kind: 'admin', actor: 'admin:bootstrap', orgId: null, orgSlug: null, roles: ['platform-admin'], via: 'break-glass' };
    }
    const found = await this.credentials.resolve(token, 'bearer');
    return found ? found.principal : false;
  }

  /** Every use, before the route runs (a refused request was still a use of the token). */
  private async recordBreakGlass(req: BearerRequest): Promise<void> {
    const path = routeOf(req);
    const route = `${req.method} ${patternOf(path, req.params ?? {})}`;
    this.log.warn(`break-glass ADMIN_TOKEN used: ${route} from ${req.ip}`);
    const slug = req.params?.org;
    const org = slug && /^[a-z0-9][a-z0-9-]{1,62}$/.test(slug) ? await this.orgs.findBySlug(slug) : null;
    await this.audit.record(this.dataSource.manager, {
      orgId: org?.id ?? null,
      actor: 'admin:bootstrap',
      action: 'admin.break_glass_used',
      target: route,
      details: { path, ip: req.ip ?? null },
    });
  }
}

/** The route as declared (`/v1/admin/orgs/:org/...`): each parameter's value back to its name. */
function patternOf(path: string, params: Record<string, string | undefined>): string {
  const names = new Map(Object.entries(params).map(([name, value]) => [value, name]));
  return path
    .split('/')
    .map((segment) => {
      let decoded = segment;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        // left as sent
      }
      const name = names.get(decoded);
      return name ? `:${name}` : segment;
    })
    .join('/');
}

/** The path without its query (which may carry codes or secrets). */
function routeOf(req: BearerRequest): string {
  return String(req.url ?? '')
    .split('?')[0]
    .slice(0, 512);
}
