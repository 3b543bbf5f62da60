import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AuditorTokensService } from '../orgs/index.js';
import type { Principal } from '../common/access/index.js';

/** An org auditor: reads the org's key-transparency log and nothing else. */
@Injectable()
export class AuditorBearerStrategy extends PassportStrategy(Strategy, 'auditor-bearer') {
  constructor(private readonly tokens: AuditorTokensService) {
    super();
  }

  async validate(token: string): Promise<Principal | false> {
    const found = await this.tokens.resolve(token);
    if (!found) return false;
    return { kind: 'auditor', actor: `auditor-token:${found.tokenId}`, ...found };
  }
}
