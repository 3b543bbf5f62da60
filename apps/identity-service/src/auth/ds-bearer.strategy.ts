import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderOnlyBearerStrategy } from './header-only-bearer.js';
import { CredentialsService } from '../orgs/index.js';
import type { Principal } from '../common/access/index.js';

/** A delivery-service client of an org. */
@Injectable()
export class DsBearerStrategy extends PassportStrategy(HeaderOnlyBearerStrategy, 'ds-bearer') {
  constructor(private readonly credentials: CredentialsService) {
    super();
  }

  async validate(token: string): Promise<Principal | false> {
    const found = await this.credentials.resolveDsToken(token);
    if (!found) return false;
    return { kind: 'ds', actor: `ds-client:${found.clientId}`, ...found };
  }
}
