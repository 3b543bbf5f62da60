import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import type { AdminPrincipal } from '../common/access/index.js';
import { ADMIN_SESSION_COOKIE, cookieOf, type HeaderBag } from './admin-cookies.js';
import { AdminCredentialsService, type ResolvedCredential } from './admin-credentials.service.js';

export type CurrentCredential = ResolvedCredential & { secret: string };

/** The bearer value of an Authorization header, if any. */
function bearerOf(headers: HeaderBag): string | undefined {
  const h = headers.authorization;
  if (typeof h !== 'string' || !/^Bearer /i.test(h)) return undefined;
  return h.slice(7).trim();
}

/** Use cases on the signed-in admin's own credential: whoami, sign-out, API tokens. */
@Injectable()
export class AdminSessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly credentials: AdminCredentialsService,
    private readonly audit: AuditService,
  ) {}

  /** The credential that authenticated this request (null for the break-glass token). */
  async current(p: AdminPrincipal, headers: HeaderBag): Promise<CurrentCredential | null> {
    if (p.via === 'break-glass') return null;
    const secret = p.via === 'session' ? cookieOf(headers, ADMIN_SESSION_COOKIE) : bearerOf(headers);
    if (!secret) return null;
    const found = await this.credentials.resolve(secret, p.via === 'session' ? 'session' : 'bearer');
    return found ? { ...found, secret } : null;
  }

  async signOut(p: AdminPrincipal, headers: HeaderBag, ip: string | undefined): Promise<void> {
    const current = await this.current(p, headers);
    if (!current) return;
    await this.dataSource.transaction(async (m) => {
      if (!(await this.credentials.revoke(m, current.id))) return;
      await this.audit.record(m, {
        orgId: current.identity.orgId,
        actor: p.actor,
        action: 'admin.signed_out',
        target: `admin-${current.kind === 'session' ? 'session' : 'token'}:${current.id}`,
        details: { ip: ip ?? null },
      });
    });
  }

  async mintBearer(session: CurrentCredential, ip: string | undefined) {
    return this.dataSource.transaction(async (m) => {
      const minted = await this.credentials.mintBearer(m, session);
      await this.audit.record(m, {
        orgId: session.identity.orgId,
        actor: session.principal.actor,
        action: 'admin.token_issued',
        target: `admin-token:${minted.id}`,
        details: { via: 'session', roles: session.identity.roles, expiresAt: minted.expiresAt.toISOString(), ip: ip ?? null },
      });
      return { token: minted.token, expiresAt: minted.expiresAt.toISOString(), actor: session.principal.actor, roles: session.identity.roles };
    });
  }
}
