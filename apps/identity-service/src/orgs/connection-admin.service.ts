import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { SecretBox } from '../keys/index.js';
import { mintToken } from './bearer-token.js';
import { DsClient } from './ds-client.entity.js';
import { IdpConnection } from './idp-connection.entity.js';
import type { Org } from './org.entity.js';
import { OrgErrors } from './orgs.errors.js';
import { ScimToken } from './scim-token.entity.js';

/** The fields of an IdP connection an admin may change in place (its issuer, kind and client id name another client: a new connection). */
export interface IdpConnectionPatch {
  name?: string;
  /** null removes the secret (a public client). */
  clientSecret?: string | null;
  claimMapping?: Record<string, string>;
  requireMfa?: boolean;
  matchByVerifiedEmail?: boolean;
  allowedTenants?: string[];
  nativeClientIds?: string[];
}

export interface DsClientPatch {
  name?: string;
  /** null: no webhooks. */
  webhookUrl?: string | null;
}

export interface Rotation {
  /** How long the replaced secret keeps working; 0 ends it at once. */
  overlapSeconds: number;
}

/** A day: long enough for a deployment to roll the new secret out everywhere. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 30 * 86_400;

const CLAIM = /^[A-Za-z0-9_.:/-]{1,100}$/;
const UNIQUE_VIOLATION = '23505';

/**
 * Changes to an org's connections that keep them working: IdP connections and delivery-service
 * clients updated in place (same id, so enrollments in flight and registered groups carry on),
 * and bearer secrets rotated with an overlap during which the replaced one still works. New
 * secrets leave only in the rotating response; the audit records what changed, never a value.
 */
@Injectable()
export class ConnectionAdminService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly box: SecretBox,
  ) {}

  async updateIdpConnection(actor: string, org: Org, id: string, patch: IdpConnectionPatch): Promise<IdpConnection> {
    if (patch.claimMapping !== undefined) checkClaimMapping(patch.claimMapping);
    try {
      return await this.dataSource.transaction(async (m) => {
        const row = await m
          .getRepository(IdpConnection)
          .createQueryBuilder('c')
          .setLock('pessimistic_write')
          .where('c.id = :id AND c.org_id = :orgId', { id, orgId: org.id })
          .getOne();
        if (!row) throw OrgErrors.error('idp_connection_not_found', `no IdP connection ${id} in org "${org.slug}"`);
        const changed: string[] = [];
        const set = <K extends keyof IdpConnection>(key: K, value: IdpConnection[K] | undefined) => {
          if (value === undefined || JSON.stringify(row[key]) === JSON.stringify(value)) return;
          row[key] = value;
          changed.push(key);
        };
        set('name', patch.name);
        set('claimMapping', patch.claimMapping);
        set('requireMfa', patch.requireMfa);
        set('matchByVerifiedEmail', patch.matchByVerifiedEmail);
        set('allowedTenants', patch.allowedTenants);
        set('nativeClientIds', patch.nativeClientIds);
        if (patch.clientSecret !== undefined) {
          row.clientSecretSealed =
            patch.clientSecret === null ? null : this.box.seal(Buffer.from(patch.clientSecret, 'utf8'), `idp_connection:${row.id}`);
          changed.push('clientSecret');
        }
        if (changed.length === 0) return row;
        const saved = await m.save(row);
        await this.audit.record(m, {
          orgId: org.id,
          actor,
          action: 'idp_connection.update',
          target: `idp_connection:${id}`,
          details: { changed, ...summary(patch) },
        });
        return saved;
      });
    } catch (e) {
      if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
        OrgErrors.raise('idp_connection_exists', `org "${org.slug}" already has an IdP connection named "${patch.name}"`);
      }
      throw e;
    }
  }

  async updateDsClient(actor: string, org: Org, id: string, patch: DsClientPatch): Promise<DsClient> {
    return this.dataSource.transaction(async (m) => {
      const row = await this.lockDsClient(m, org, id);
      const changed: string[] = [];
      if (patch.name !== undefined && patch.name !== row.name) {
        row.name = patch.name;
        changed.push('name');
      }
      if (patch.webhookUrl !== undefined && patch.webhookUrl !== row.webhookUrl) {
        row.webhookUrl = patch.webhookUrl;
        changed.push('webhookUrl');
      }
      if (changed.length === 0) return row;
      const saved = await m.save(row);
      await this.audit.record(m, { orgId: org.id, actor, action: 'ds_client.update', target: `ds_client:${id}`, details: { changed, ...patch } });
      return saved;
    });
  }

  /**
   * New bearer token and/or webhook signing secret for a DS client. The replaced ones keep
   * working for `overlapSeconds` (a second rotation within the overlap ends the first one's).
   */
  async rotateDsClient(
    actor: string,
    org: Org,
    id: string,
    r: Rotation & { token: boolean; webhookSecret: boolean },
  ): Promise<{ row: DsClient; token?: string; webhookSecret?: string }> {
    return this.dataSource.transaction(async (m) => {
      const row = await this.lockDsClient(m, org, id);
      if (row.revokedAt) throw OrgErrors.error('credential_revoked', 'the client is revoked: create a new one');
      const until = overlapEnd(r.overlapSeconds);
      const out: { token?: string; webhookSecret?: string } = {};
      if (r.token) {
        const minted = mintToken('ds');
        row.previousTokenHash = until ? row.tokenHash : null;
        row.previousTokenExpiresAt = until;
        row.tokenHash = minted.hash;
        row.tokenPrefix = minted.prefix;
        out.token = minted.token;
      }
      if (r.webhookSecret) {
        const secret = mintToken('whsec').token;
        const current = this.box.open(row.webhookSecretSealed, `ds_client:${row.id}`);
        row.previousWebhookSecretSealed = until ? this.box.seal(current, `ds_client:${row.id}:previous`) : null;
        row.previousWebhookSecretExpiresAt = until;
        row.webhookSecretSealed = this.box.seal(Buffer.from(secret, 'utf8'), `ds_client:${row.id}`);
        out.webhookSecret = secret;
      }
      const saved = await m.save(row);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'ds_client.rotate',
        target: `ds_client:${id}`,
        details: { token: r.token, webhookSecret: r.webhookSecret, overlapSeconds: r.overlapSeconds, prefix: row.tokenPrefix },
      });
      return { row: saved, ...out };
    });
  }

  /** A new SCIM bearer token; the replaced one keeps working for `overlapSeconds`. */
  async rotateScimToken(actor: string, org: Org, id: string, r: Rotation): Promise<{ row: ScimToken; token: string }> {
    return this.dataSource.transaction(async (m) => {
      const row = await m
        .getRepository(ScimToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.id = :id AND t.org_id = :orgId', { id, orgId: org.id })
        .getOne();
      if (!row) throw OrgErrors.error('scim_token_not_found', `no SCIM token ${id} in org "${org.slug}"`);
      if (row.revokedAt) throw OrgErrors.error('credential_revoked', 'the SCIM token is revoked: create a new one');
      const until = overlapEnd(r.overlapSeconds);
      const minted = mintToken('scim');
      row.previousTokenHash = until ? row.tokenHash : null;
      row.previousTokenExpiresAt = until;
      row.tokenHash = minted.hash;
      row.tokenPrefix = minted.prefix;
      const saved = await m.save(row);
      await this.audit.record(m, {
        orgId: org.id,
        actor,
        action: 'scim_token.rotate',
        target: `scim_token:${id}`,
        details: { overlapSeconds: r.overlapSeconds, prefix: minted.prefix },
      });
      return { row: saved, token: minted.token };
    });
  }

  private async lockDsClient(m: EntityManager, org: Org, id: string): Promise<DsClient> {
    const row = await m
      .getRepository(DsClient)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.id = :id AND c.org_id = :orgId', { id, orgId: org.id })
      .getOne();
    if (!row) throw OrgErrors.error('ds_client_not_found', `no delivery-service client ${id} in org "${org.slug}"`);
    return row;
  }
}

function overlapEnd(seconds: number): Date | null {
  return seconds > 0 ? new Date(Date.now() + seconds * 1000) : null;
}

function checkClaimMapping(map: Record<string, string>): void {
  const entries = Object.entries(map);
  const bad = entries.filter(([k, v]) => !CLAIM.test(k) || typeof v !== 'string' || !CLAIM.test(v)).map(([k]) => k);
  if (entries.length > 32 || bad.length > 0) {
    throw OrgErrors.error(
      'invalid_claim_mapping',
      'claimMapping maps claim names (letters, digits, _ . : / -, at most 100 characters) to claim names, at most 32 of them',
      {
        errors: bad.map((k) => `claimMapping.${k.slice(0, 100)}`),
      },
    );
  }
}

/** What the audit record says about a patch: the values, except that a secret is only "set" or "removed". */
function summary(patch: IdpConnectionPatch): Record<string, unknown> {
  const { clientSecret, ...rest } = patch;
  return { ...rest, ...(clientSecret !== undefined && { clientSecret: clientSecret === null ? 'removed' : 'set' }) };
}
