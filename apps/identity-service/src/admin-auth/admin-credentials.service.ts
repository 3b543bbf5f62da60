import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { AdminPrincipal, AdminRole } from '../common/access/index.js';
import { hashToken, mintToken } from '../orgs/index.js';

/** A browser session ends after this long without a request, and after at most the absolute limit. */
export const SESSION_IDLE_S = 30 * 60;
export const SESSION_MAX_S = 8 * 60 * 60;
/** Bearer tokens for the API and the CLI: short-lived, never renewed (sign in again). */
export const BEARER_TTL_S = 60 * 60;

/** Who signed in, as the IdP said at this sign-in (roles are re-evaluated at every sign-in). */
export interface AdminIdentity {
  orgId: string;
  orgSlug: string;
  idpConnectionId: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  roles: AdminRole[];
  /** Holds platform-admin: a principal of no org. */
  platform: boolean;
}

export type CredentialKind = 'session' | 'bearer';

export interface ResolvedCredential {
  id: string;
  kind: CredentialKind;
  principal: AdminPrincipal;
  identity: AdminIdentity;
  expiresAt: Date;
}

interface CredentialRow {
  id: string;
  kind: CredentialKind;
  org_id: string;
  slug: string;
  idp_connection_id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  actor: string;
  roles: AdminRole[];
  platform: boolean;
  expires_at: Date;
}

/** The actor the audit log names: the admin's IdP identity, never a shared token. */
export function adminActor(identity: Pick<AdminIdentity, 'email' | 'subject'>): string {
  return `admin:${identity.email ?? identity.subject}`;
}

/**
 * The CSRF token of a session: derived from the session secret, which only the session's own
 * pages can learn (GET /v1/admin/session), so a cross-site form cannot send it.
 */
export function csrfTokenOf(sessionSecret: string): string {
  return createHash('sha256').update(`mlsid-admin-csrf\0${sessionSecret}`).digest('base64url');
}

/**
 * The only statements over `admin_credential`: browser sessions (an opaque cookie value) and
 * bearer tokens, both stored as SHA-256 of a 256-bit secret, both revocable. A bearer token
 * minted from a session dies with it.
 */
@Injectable()
export class AdminCredentialsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async createSession(m: EntityManager, identity: AdminIdentity): Promise<{ id: string; secret: string; expiresAt: Date }> {
    const secret = randomBytes(32).toString('base64url');
    const row = await this.insert(m, identity, 'session', hashToken(secret), SESSION_MAX_S, SESSION_IDLE_S, null);
    return { ...row, secret };
  }

  /** A bearer token for the identity of `parent` (a session), expiring with it at the latest. */
  async mintBearer(m: EntityManager, parent: { id: string; identity: AdminIdentity; expiresAt: Date }) {
    const minted = mintToken('adm');
    const ttl = Math.max(1, Math.min(BEARER_TTL_S, Math.floor((parent.expiresAt.getTime() - Date.now()) / 1000)));
    const row = await this.insert(m, parent.identity, 'bearer', minted.hash, ttl, null, parent.id);
    return { token: minted.token, ...row };
  }

  private async insert(
    m: EntityManager,
    identity: AdminIdentity,
    kind: CredentialKind,
    hash: Buffer,
    ttlS: number,
    idleS: number | null,
    parentId: string | null,
  ): Promise<{ id: string; expiresAt: Date }> {
    const [row]: { id: string; expires_at: Date }[] = await m.query(
      `INSERT INTO admin_credential (secret_hash, kind, org_id, idp_connection_id, issuer, subject, email, name, actor, roles, platform,
                                     idle_timeout_s, expires_at, parent_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + make_interval(secs => $13), $14)
       RETURNING id, expires_at`,
      [
        hash,
        kind,
        identity.orgId,
        identity.idpConnectionId,
        identity.issuer,
        identity.subject,
        identity.email,
        identity.name,
        adminActor(identity),
        identity.roles,
        identity.platform,
        idleS,
        ttlS,
        parentId,
      ],
    );
    return { id: row.id, expiresAt: row.expires_at };
  }

  /**
   * The live credential with this secret (not revoked, not past its absolute or idle expiry,
   * its parent session not revoked), touching its last use; null otherwise.
   */
  async resolve(secret: string, kind: CredentialKind): Promise<ResolvedCredential | null> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 256) return null;
    return this.live(this.dataSource.manager, 'c.secret_hash = $1 AND c.kind = $2', [hashToken(secret), kind]);
  }

  /** The live session with this id (a CLI login's approving session). */
  resolveById(m: EntityManager, id: string): Promise<ResolvedCredential | null> {
    return this.live(m, "c.id = $1 AND c.kind = 'session'", [id]);
  }

  private async live(m: EntityManager, where: string, params: unknown[]): Promise<ResolvedCredential | null> {
    const [rows]: [CredentialRow[], number] = await m.query(
      `UPDATE admin_credential c SET last_used_at = now()
         FROM org o
        WHERE ${where} AND o.id = c.org_id
          AND c.revoked_at IS NULL AND c.expires_at > now()
          AND (c.idle_timeout_s IS NULL OR c.last_used_at + make_interval(secs => c.idle_timeout_s) > now())
          AND (c.parent_id IS NULL OR EXISTS (SELECT 1 FROM admin_credential p WHERE p.id = c.parent_id AND p.revoked_at IS NULL))
        RETURNING c.id, c.kind, c.org_id, o.slug, c.idp_connection_id, c.issuer, c.subject, c.email, c.name, c.actor, c.roles,
                  c.platform, c.expires_at`,
      params,
    );
    const row = rows[0];
    if (!row) return null;
    const identity: AdminIdentity = {
      orgId: row.org_id,
      orgSlug: row.slug,
      idpConnectionId: row.idp_connection_id,
      issuer: row.issuer,
      subject: row.subject,
      email: row.email,
      name: row.name,
      roles: row.roles,
      platform: row.platform,
    };
    return {
      id: row.id,
      kind: row.kind,
      identity,
      expiresAt: row.expires_at,
      principal: {
        kind: 'admin',
        actor: row.actor,
        orgId: row.platform ? null : row.org_id,
        orgSlug: row.platform ? null : row.slug,
        roles: row.roles,
        via: row.kind === 'session' ? 'session' : 'bearer',
      },
    };
  }

  /** Ends the credential (and the bearer tokens minted from it); true when it was live. */
  async revoke(m: EntityManager, id: string): Promise<boolean> {
    const [, count]: [unknown, number] = await m.query(
      `UPDATE admin_credential SET revoked_at = now() WHERE (id = $1 OR parent_id = $1) AND revoked_at IS NULL`,
      [id],
    );
    return count > 0;
  }

  /** Credentials past their absolute expiry prove nothing any more. */
  async purgeExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM admin_credential WHERE expires_at < now() - interval '1 day' AND parent_id IS NULL`);
  }
}
