import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderOnlyBearerStrategy } from './header-only-bearer.js';
import { AuditorTokensService } from '../orgs/index.js';
import type { Principal } from '../common/access/index.js';

/** An org auditor: reads the org's key-transparency log and nothing else. */
@Injectable()
export class AuditorBearerStrategy extends PassportStrategy(HeaderOnlyBearerStrategy, 'auditor-bearer') {
  constructor(private readonly tokens: AuditorTokensService) {
    super();
  }

  async validate(token: string): Promise<Principal | false> {
    const found = await this.tokens.resolve(token);
    if (!found) return false;
    return { kind: 'auditor', actor: `auditor-token:${found.tokenId}`, ...found };
  }
}
