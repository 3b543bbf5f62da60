import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderOnlyBearerStrategy } from './header-only-bearer.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { secretsEqual } from '../common/secrets-equal.js';
import type { Principal } from '../common/access/index.js';

/** The bootstrap admin token from ADMIN_TOKEN, until admins sign in through the IdP. */
@Injectable()
export class AdminBearerStrategy extends PassportStrategy(HeaderOnlyBearerStrategy, 'admin-bearer') {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  validate(token: string): Principal | false {
    const expected = this.config.adminToken;
    if (!expected || !secretsEqual(token, expected)) return false;
    return { kind: 'admin', actor: 'admin:bootstrap', orgId: null, orgSlug: null, roles: ['platform-admin'], via: 'break-glass' };
  }
}
