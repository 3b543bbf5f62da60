import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { hashToken, mintToken } from './bearer-token.js';
import { AuditorToken } from './auditor-token.entity.js';
import { CredentialCache } from './credential-cache.js';
import type { LiveCredential } from './credentials.service.js';
import type { Org } from './org.entity.js';
import { OrgErrors } from './orgs.errors.js';
import { OrgsService } from './orgs.service.js';

/** last_used_at is a hint for admins, so it is written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ResolvedAuditorToken {
  orgId: string;
  orgSlug: string;
  tokenId: string;
}

/**
 * Org auditor tokens: read access to the org's key-transparency log (checkpoints, tiles,
 * proofs, account histories) and nothing else. Minted, listed and revoked by the admin, and
 * stored as SHA-256 like SCIM tokens.
 */
@Injectable()
export class AuditorTokensService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orgs: OrgsService,
    private readonly audit: AuditService,
    private readonly cache: CredentialCache,
  ) {}

  async create(actor: string, org: Org, description: string): Promise<{ row: AuditorToken; token: string }> {
    const minted = mintToken('auditor');
    const row = await this.dataSource.transaction(async (m) => {
      const saved = await m.save(m.create(AuditorToken, { orgId: org.id, description, tokenHash: minted.hash, tokenPrefix: minted.prefix }));
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'auditor_token.create',
        target: `auditor_token:${saved.id}`,
        details: { description, prefix: minted.prefix },
      });
      return saved;
    });
    return { row, token: minted.token };
  }

  async list(org: Org): Promise<AuditorToken[]> {
    return this.dataSource.getRepository(AuditorToken).find({ where: { orgId: org.id }, order: { createdAt: 'ASC' } });
  }

  async revoke(actor: string, org: Org, id: string): Promise<AuditorToken> {
    return this.dataSource.transaction(async (m) => {
      const row = await m.findOneBy(AuditorToken, { id, orgId: org.id });
      if (!row) throw OrgErrors.error('auditor_token_not_found', `no auditor token ${id} in org "${org.slug}"`);
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        await m.save(row);
        await this.audit.record(m, { orgId: org.id, actor, action: 'auditor_token.revoke', target: `auditor_token:${id}` });
      }
      return row;
    });
  }

  async resolve(token: string): Promise<ResolvedAuditorToken | null> {
    const hash = hashToken(token);
    const found = await this.cache.resolve('auditor_token', hash, async (): Promise<LiveCredential | undefined> => {
      const row = await this.dataSource.getRepository(AuditorToken).findOneBy({ tokenHash: hash, revokedAt: IsNull() });
      if (!row) return undefined;
      const org = await this.orgs.requireById(row.orgId);
      return { id: row.id, orgId: org.id, orgSlug: org.slug, lastUsedAt: row.lastUsedAt?.getTime() ?? 0 };
    });
    if (!found) return null;
    const now = Date.now();
    if (now - found.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      // The cached credential remembers the write, so concurrent requests do not repeat it.
      found.lastUsedAt = now;
      await this.dataSource.getRepository(AuditorToken).update({ id: found.id }, { lastUsedAt: new Date(now) });
    }
    return { orgId: found.orgId, orgSlug: found.orgSlug, tokenId: found.id };
  }
}
