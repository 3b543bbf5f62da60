import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { refuse } from '../enrollment.errors.js';
import { clientAddressKey } from './client-address.js';

/** Which anonymous route class a request counts against. */
export type AnonymousRouteClass = 'start' | 'lookup' | 'code';

/**
 * Per-minute limits of the anonymous enrollment routes, in PostgreSQL (table from migration
 * 1734100000000) so every replica counts together. A refusal is `enrollment_rate_limited`
 * (429 with Retry-After). The database unreachable is not a free pass: the store's connection
 * error propagates and is answered 503 like any lost database connection.
 */
@Injectable()
export class EnrollmentRateLimits {
  private readonly perIp: Record<AnonymousRouteClass, RateLimiterPostgres>;
  private readonly perOrg: RateLimiterPostgres;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterPostgres({
        storeClient: dataSource,
        storeType: 'typeorm',
        tableName: 'enrollment_rate_limit',
        tableCreated: true,
        keyPrefix,
        points,
        duration: 60,
      });
    const limits = config.enrollmentLimits;
    this.perIp = {
      start: limiter('start-ip', limits.startsPerIp),
      lookup: limiter('lookup-ip', limits.lookupsPerIp),
      code: limiter('code-ip', limits.codesPerIp),
    };
    this.perOrg = limiter('start-org', limits.startsPerOrg);
  }

  /** A request of this class from this client address (IPv6 counted per /64). */
  async admitClient(routeClass: AnonymousRouteClass, ip: string | undefined): Promise<void> {
    await consume(this.perIp[routeClass], clientAddressKey(ip), 'this client address');
  }

  /** An enrollment start for this org, whoever sends it. */
  async admitOrgStart(orgId: string): Promise<void> {
    await consume(this.perOrg, orgId, 'this org');
  }
}

async function consume(limiter: RateLimiterPostgres, key: string, whose: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (e) {
    if (!(e instanceof RateLimiterRes)) throw e;
    const retryAfterSeconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
    refuse('enrollment_rate_limited', `too many anonymous enrollment requests from ${whose}: at most ${limiter.points} per minute`, {
      retryAfterSeconds,
    });
  }
}
