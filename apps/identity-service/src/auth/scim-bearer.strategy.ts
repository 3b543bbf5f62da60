import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderOnlyBearerStrategy } from './header-only-bearer.js';
import { CredentialsService } from '../orgs/index.js';
import type { Principal } from '../common/access/index.js';

/** An org's SCIM token, as Okta and Entra send it. */
@Injectable()
export class ScimBearerStrategy extends PassportStrategy(HeaderOnlyBearerStrategy, 'scim-bearer') {
  constructor(private readonly credentials: CredentialsService) {
    super();
  }

  async validate(token: string): Promise<Principal | false> {
    const found = await this.credentials.resolveScimToken(token);
    if (!found) return false;
    return { kind: 'scim', actor: `scim-token:${found.tokenId}`, ...found };
  }
}
