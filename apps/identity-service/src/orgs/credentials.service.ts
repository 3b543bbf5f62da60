import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { hashToken, mintToken } from './bearer-token.js';
import { CredentialCache } from './credential-cache.js';
import { SecretBox } from '../keys/index.js';
import { DsClient } from './ds-client.entity.js';
import type { Org } from './org.entity.js';
import { OrgErrors } from './orgs.errors.js';
import { ScimToken } from './scim-token.entity.js';

/** last_used_at is a hint for admins, so it is written at most this often per credential. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ResolvedScimToken {
  orgId: string;
  orgSlug: string;
  tokenId: string;
}

export interface ResolvedDsClient {
  orgId: string;
  orgSlug: string;
  clientId: string;
}

/** A live token as resolved (and cached); lastUsedAt in ms, 0 for never. */
export interface LiveCredential {
  id: string;
  orgId: string;
  orgSlug: string;
  lastUsedAt: number;
}

/** The bearer credentials an org hands to its IdP (SCIM) and delivery services. */
@Injectable()
export class CredentialsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
    private readonly cache: CredentialCache,
  ) {}

  async createScimToken(actor: string, org: Org, description: string): Promise<{ row: ScimToken; token: string }> {
    const minted = mintToken('scim');
    const row = await this.dataSource.transaction(async (m) => {
      const saved = await m.save(m.create(ScimToken, { orgId: org.id, description, tokenHash: minted.hash, tokenPrefix: minted.prefix }));
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'scim_token.create',
        target: `scim_token:${saved.id}`,
        details: { description, prefix: minted.prefix },
      });
      return saved;
    });
    return { row, token: minted.token };
  }

  listScimTokens(orgId: string): Promise<ScimToken[]> {
    return this.dataSource.getRepository(ScimToken).find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }

  async revokeScimToken(actor: string, org: Org, id: string): Promise<ScimToken> {
    return this.dataSource.transaction(async (m) => {
      const row = await m.findOneBy(ScimToken, { id, orgId: org.id });
      if (!row) throw OrgErrors.error('scim_token_not_found', `no SCIM token ${id} in org "${org.slug}"`);
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        await m.save(row);
        await this.audit.record(m, {
          orgId: org.id,
          actor,
          action: 'scim_token.revoke',
          target: `scim_token:${id}`,
          before: { description: row.description, prefix: row.tokenPrefix, revokedAt: null },
          after: { revokedAt: row.revokedAt.toISOString() },
        });
      }
      return row;
    });
  }

  async resolveScimToken(token: string): Promise<ResolvedScimToken | null> {
    const row = await this.resolve('scim_token', token);
    if (!row) return null;
    await this.touch(ScimToken, row);
    return { orgId: row.orgId, orgSlug: row.orgSlug, tokenId: row.id };
  }

  /**
   * The live token row and its org's slug: one round trip the first time, then from the
   * credential cache until the token changes (CredentialCache). A token that a rotation replaced
   * is looked up uncached while its overlap lasts: the cache's invalidation names current
   * hashes only, so a cached previous token could outlive its overlap or a revocation.
   */
  private async resolve(table: 'scim_token' | 'ds_client', token: string): Promise<LiveCredential | undefined> {
    const hash = hashToken(token);
    const current = await this.cache.resolve(table, hash, () => this.findLive(table, 't.token_hash = $1', hash));
    return current ?? this.findLive(table, 't.previous_token_hash = $1 AND t.previous_token_expires_at > now()', hash);
  }

  /** The live (unrevoked) token row matching `where` ($1: the token's hash), with its org's slug. */
  private async findLive(table: 'scim_token' | 'ds_client', where: string, hash: Buffer): Promise<LiveCredential | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT t.id, t.org_id, o.slug, t.last_used_at FROM ${table} t JOIN org o ON o.id = t.org_id
        WHERE ${where} AND t.revoked_at IS NULL`,
      [hash],
    );
    return row && { id: row.id, orgId: row.org_id, orgSlug: row.slug, lastUsedAt: row.last_used_at?.getTime() ?? 0 };
  }

  async createDsClient(
    actor: string,
    org: Org,
    name: string,
    webhookUrl: string | null,
    webhookEvents: string[] | null = null,
  ): Promise<{ row: DsClient; token: string; webhookSecret: string }> {
    const minted = mintToken('ds');
    const secret = mintToken('whsec').token;
    const row = await this.dataSource.transaction(async (m) => {
      const draft = m.create(DsClient, {
        orgId: org.id,
        name,
        webhookUrl,
        webhookEvents: webhookEvents === null ? null : [...new Set(webhookEvents)],
        tokenHash: minted.hash,
        tokenPrefix: minted.prefix,
      });
      draft.id = crypto.randomUUID();
      draft.webhookSecretSealed = this.box.seal(Buffer.from(secret, 'utf8'), `ds_client:${draft.id}`);
      const saved = await m.save(draft);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'ds_client.create',
        target: `ds_client:${saved.id}`,
        details: { name, webhookUrl, webhookEvents, prefix: minted.prefix },
      });
      return saved;
    });
    return { row, token: minted.token, webhookSecret: secret };
  }

  listDsClients(orgId: string): Promise<DsClient[]> {
    return this.dataSource.getRepository(DsClient).find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }

  /**
   * The org's live delivery-service clients that take webhooks of `eventType`, in the caller's
   * transaction: those that chose it, and, when `byDefault`, those that never chose.
   */
  async webhookClientIds(manager: EntityManager, orgId: string, eventType: string, byDefault: boolean): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM ds_client
        WHERE org_id = $1 AND revoked_at IS NULL AND webhook_url IS NOT NULL
          AND ($2 = ANY(webhook_events) OR (webhook_events IS NULL AND $3))
        ORDER BY created_at`,
      [orgId, eventType, byDefault],
    );
    return rows.map((r) => r.id);
  }

  /** Sets the event types a client's webhook receives (null: the default set). */
  async setWebhookEvents(actor: string, org: Org, id: string, events: string[] | null): Promise<DsClient> {
    return this.dataSource.transaction(async (m) => {
      const row = await m.findOneBy(DsClient, { id, orgId: org.id });
      if (!row) throw OrgErrors.error('ds_client_not_found', `no delivery-service client ${id} in org "${org.slug}"`);
      const previous = row.webhookEvents;
      row.webhookEvents = events === null ? null : [...new Set(events)];
      await m.save(row);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'ds_client.webhook_events',
        target: `ds_client:${id}`,
        details: { webhookEvents: row.webhookEvents },
        before: { webhookEvents: previous },
        after: { webhookEvents: row.webhookEvents },
      });
      return row;
    });
  }

  /** A client by id whatever its state (the webhook sender checks revocation itself). */
  findDsClient(id: string, manager?: EntityManager): Promise<DsClient | null> {
    return (manager ?? this.dataSource.manager).findOneBy(DsClient, { id });
  }

  async revokeDsClient(actor: string, org: Org, id: string): Promise<DsClient> {
    return this.dataSource.transaction(async (m) => {
      const row = await m.findOneBy(DsClient, { id, orgId: org.id });
      if (!row) throw OrgErrors.error('ds_client_not_found', `no delivery-service client ${id} in org "${org.slug}"`);
      if (!row.revokedAt) {
        row.revokedAt = new Date();
        await m.save(row);
        await this.audit.record(m, {
          orgId: org.id,
          actor,
          action: 'ds_client.revoke',
          target: `ds_client:${id}`,
          before: { name: row.name, prefix: row.tokenPrefix, revokedAt: null },
          after: { revokedAt: row.revokedAt.toISOString() },
        });
      }
      return row;
    });
  }

  /** The webhook signing secret, for the webhook sender only. */
  webhookSecret(client: DsClient): string {
    return this.box.open(client.webhookSecretSealed, `ds_client:${client.id}`).toString('utf8');
  }

  /**
   * The secrets a webhook is signed with now: the current one, and the one a rotation
   * replaced while its overlap lasts (Standard Webhooks receivers accept any listed signature).
   */
  webhookSecrets(client: DsClient, now = new Date()): string[] {
    const secrets = [this.webhookSecret(client)];
    if (client.previousWebhookSecretSealed && client.previousWebhookSecretExpiresAt && client.previousWebhookSecretExpiresAt > now) {
      secrets.push(this.box.open(client.previousWebhookSecretSealed, `ds_client:${client.id}:previous`).toString('utf8'));
    }
    return secrets;
  }

  async resolveDsToken(token: string): Promise<ResolvedDsClient | null> {
    const row = await this.resolve('ds_client', token);
    if (!row) return null;
    await this.touch(DsClient, row);
    return { orgId: row.orgId, orgSlug: row.orgSlug, clientId: row.id };
  }

  private async touch(entity: typeof ScimToken | typeof DsClient, credential: LiveCredential): Promise<void> {
    const now = Date.now();
    if (now - credential.lastUsedAt < LAST_USED_RESOLUTION_MS) return;
    // The cached credential remembers the write, so concurrent requests do not repeat it.
    credential.lastUsedAt = now;
    await this.dataSource.getRepository(entity).update({ id: credential.id }, { lastUsedAt: new Date(now) });
  }
}
