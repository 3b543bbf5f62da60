import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { deviceOrgId } from '../devices/index.js';
import { enrollmentOrgId } from '../enrollment/index.js';
import { effectiveSettings, OrgsService, type Org } from '../orgs/index.js';
import { corsRouteOf, type OrgOfRoute } from './cors-routes.js';
import { CorsErrors } from './cors.errors.js';

/** What both HTTP adapters hand a middleware: Node's request and response, nothing framework-specific. */
interface RawRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
}
interface RawResponse {
  statusCode: number;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
  end(): unknown;
}

const ALLOWED_HEADERS = 'authorization, content-type';
const EXPOSED_HEADERS = 'retry-after';
const PREFLIGHT_MAX_AGE_S = '600';

/**
 * CORS for browser apps, per org (issue 13 §8): a preflight from an origin the org lists is
 * answered 204 with the route's methods; from any other origin, 403 `origin_not_allowed`. An
 * actual request from a listed origin gets Access-Control-Allow-Origin; from another
 * (cross-origin) page it is refused before the route runs, which also keeps form posts of
 * other sites out. Requests without Origin (native apps, servers) are untouched. Never
 * credentials: every covered route authenticates with a header, not a cookie. Only Node's
 * request/response members are used, so the middleware runs on Express and Fastify alike.
 */
@Injectable()
export class BrowserCorsMiddleware implements NestMiddleware {
  private readonly ownOrigin: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly orgs: OrgsService,
  ) {
    this.ownOrigin = new URL(config.publicUrl).origin;
  }

  /** Refusals are thrown: Nest's middleware proxy hands them to the global problem filter. */
  async use(req: RawRequest, res: RawResponse, next: () => void): Promise<void> {
    const path = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
    const route = corsRouteOf(path);
    if (!route) return next();
    // Whatever the answer, it depends on Origin: a cache must not hand it to another origin.
    addVary(res, 'Origin');
    const origin = header(req, 'origin');
    const preflight = req.method === 'OPTIONS' && header(req, 'access-control-request-method') !== undefined;
    if (origin === undefined || (origin === this.ownOrigin && !preflight)) return next();
    const org = await this.orgOf(route.org);
    if (org === null || !effectiveSettings(org.settings).cors.allowedOrigins.includes(origin)) {
      // An actual request to an unknown org or id is left to the route, which answers it as it always has.
      if (!preflight && org === null) return next();
      throw CorsErrors.error('origin_not_allowed', `origin ${origin.slice(0, 200)} is not allowed to call this org's API from a browser`);
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      return next();
    }
    addVary(res, 'Access-Control-Request-Method');
    addVary(res, 'Access-Control-Request-Headers');
    res.setHeader('Access-Control-Allow-Methods', route.methods.join(', '));
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_S);
    res.statusCode = 204;
    res.end();
  }

  private async orgOf(of: OrgOfRoute): Promise<Org | null> {
    if ('slug' in of) return this.orgs.findBySlug(of.slug);
    const orgId =
      'enrollmentId' in of
        ? await enrollmentOrgId(this.dataSource.manager, of.enrollmentId)
        : await deviceOrgId(this.dataSource.manager, of.deviceId);
    return orgId === null ? null : this.orgs.findById(orgId);
  }
}

function header(req: RawRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function addVary(res: RawResponse, name: string): void {
  const current = res.getHeader('Vary');
  const values = typeof current === 'string' && current !== '' ? current.split(/\s*,\s*/) : [];
  if (!values.some((v) => v.toLowerCase() === name.toLowerCase())) res.setHeader('Vary', [...values, name].join(', '));
}
