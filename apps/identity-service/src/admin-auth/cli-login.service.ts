import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { confirmationCodeHash, mintConfirmationCode } from '../enrollment/index.js';
import { hashToken, type Org } from '../orgs/index.js';
import { AdminAuthErrors } from './admin-auth.errors.js';
import { AdminCredentialsService, type ResolvedCredential } from './admin-credentials.service.js';

/** RFC 8628 §3.2: how long the code lives and how often the CLI may poll. */
const CLI_LOGIN_TTL_S = 10 * 60;
export const CLI_POLL_INTERVAL_S = 5;

export interface StartedCliLogin {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

/**
 * `mlsid admin login`: RFC 8628's device authorization grant with this service as the
 * authorization server. The CLI shows a code; the admin opens the verification page in a
 * browser, which starts an ordinary admin sign-in (same IdP, same role mapping) bound to the
 * code; the CLI's poll then collects, once, a bearer token of that sign-in.
 */
@Injectable()
export class CliLoginService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly credentials: AdminCredentialsService,
    private readonly audit: AuditService,
  ) {}

  /** CLI logins an hour past their expiry (a late poll still learns `expired_token` until then). */
  async purgeExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM admin_cli_login WHERE expires_at < now() - interval '1 hour'`);
  }

  get verificationUri(): string {
    return `${this.config.publicUrl}/v1/admin/cli-login`;
  }

  async start(org: Org, ip: string | undefined): Promise<StartedCliLogin> {
    const deviceCode = randomBytes(32).toString('base64url');
    // A collision of pending user codes (1 in 10^10) draws again.
    for (let attempt = 0; ; attempt++) {
      const user = mintConfirmationCode();
      try {
        await this.dataSource.query(
          `INSERT INTO admin_cli_login (org_id, device_code_hash, user_code_hash, requested_from, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
          [org.id, hashToken(deviceCode), user.hash, ip ?? null, CLI_LOGIN_TTL_S],
        );
        return {
          deviceCode,
          userCode: user.code,
          verificationUri: this.verificationUri,
          verificationUriComplete: `${this.verificationUri}?code=${user.code}`,
          expiresIn: CLI_LOGIN_TTL_S,
          interval: CLI_POLL_INTERVAL_S,
        };
      } catch (e) {
        if (attempt >= 3 || (e as { code?: string }).code !== '23505') throw e;
      }
    }
  }

  /** The pending login a typed code names (its org's sign-in follows), or a refusal. */
  async pendingByUserCode(typed: string | undefined): Promise<{ id: string; orgId: string; requestedFrom: string | null }> {
    const hash = confirmationCodeHash(typed);
    const [row]: { id: string; org_id: string; requested_from: string | null }[] = hash
      ? await this.dataSource.query(
          `SELECT id, org_id, requested_from FROM admin_cli_login WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > now()`,
          [hash],
        )
      : [];
    if (!row) throw AdminAuthErrors.error('cli_login_code_invalid', 'no CLI login is waiting for this code');
    return { id: row.id, orgId: row.org_id, requestedFrom: row.requested_from };
  }

  /** A pending login of `orgId`, as the approval page shows it. */
  async describe(id: string, orgId: string): Promise<{ id: string; requestedFrom: string | null; requestedAt: Date }> {
    const [row]: { requested_from: string | null; created_at: Date }[] = await this.dataSource.query(
      `SELECT requested_from, created_at FROM admin_cli_login WHERE id = $1 AND org_id = $2 AND status = 'pending' AND expires_at > now()`,
      [id, orgId],
    );
    if (!row) throw AdminAuthErrors.error('cli_login_expired', 'the CLI login expired while signing in: run `mlsid admin login` again');
    return { id, requestedFrom: row.requested_from, requestedAt: row.created_at };
  }

  /** The signed-in admin (a browser session of the login's org) approves the CLI login: its poll gets a token of this session. */
  async approve(session: ResolvedCredential, id: string, ip: string | undefined): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const [, count]: [unknown, number] = await m.query(
        `UPDATE admin_cli_login SET status = 'approved', approved_by = $2
          WHERE id = $1 AND org_id = $3 AND status = 'pending' AND expires_at > now()`,
        [id, session.id, session.identity.orgId],
      );
      if (count === 0) throw AdminAuthErrors.error('cli_login_expired', 'no CLI login of this org waits for approval under this id');
      await this.audit.record(m, {
        orgId: session.identity.orgId,
        actor: session.principal.actor,
        action: 'admin.cli_login_approved',
        target: `admin-cli-login:${id}`,
        details: { session: session.id, ip: ip ?? null },
      });
    });
  }

  /**
   * The CLI's poll: pending, slow_down (the interval is claimed atomically), expired, or the
   * bearer token, handed out once.
   */
  async poll(deviceCode: string | undefined): Promise<{ token: string; expiresAt: string; actor: string; org: string; roles: readonly string[] }> {
    if (typeof deviceCode !== 'string' || deviceCode.length === 0 || deviceCode.length > 128) {
      throw AdminAuthErrors.error('cli_login_expired', 'no CLI login has this device code');
    }
    const hash = hashToken(deviceCode);
    const [claimed]: [{ id: string; status: string; approved_by: string | null }[], number] = await this.dataSource.query(
      `UPDATE admin_cli_login SET next_poll_at = now() + make_interval(secs => $2)
        WHERE device_code_hash = $1 AND status <> 'collected' AND expires_at > now() AND (next_poll_at IS NULL OR next_poll_at <= now())
        RETURNING id, status, approved_by`,
      [hash, CLI_POLL_INTERVAL_S],
    );
    const row = claimed[0];
    if (!row) {
      const [live]: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM admin_cli_login WHERE device_code_hash = $1 AND status <> 'collected' AND expires_at > now()`,
        [hash],
      );
      if (live) throw AdminAuthErrors.error('cli_login_slow_down', 'polled too soon', { interval: CLI_POLL_INTERVAL_S });
      throw AdminAuthErrors.error('cli_login_expired', 'the CLI login is unknown, expired or already collected');
    }
    if (row.status === 'pending')
      throw AdminAuthErrors.error('cli_login_pending', 'waiting for the admin to sign in', { interval: CLI_POLL_INTERVAL_S });
    return this.dataSource.transaction(async (m) => {
      const [, collected]: [unknown, number] = await m.query(
        `UPDATE admin_cli_login SET status = 'collected' WHERE id = $1 AND status = 'approved'`,
        [row.id],
      );
      if (collected === 0) throw AdminAuthErrors.error('cli_login_expired', 'the CLI login was already collected');
      const session = await this.credentials.resolveById(m, row.approved_by!);
      if (!session) throw AdminAuthErrors.error('cli_login_expired', 'the browser session that approved this login has ended');
      const minted = await this.credentials.mintBearer(m, session);
      await this.audit.record(m, {
        orgId: session.identity.orgId,
        actor: session.principal.actor,
        action: 'admin.token_issued',
        target: `admin-token:${minted.id}`,
        details: { via: 'cli-login', cliLogin: row.id, roles: session.identity.roles, expiresAt: minted.expiresAt.toISOString() },
      });
      return {
        token: minted.token,
        expiresAt: minted.expiresAt.toISOString(),
        actor: session.principal.actor,
        org: session.identity.orgSlug,
        roles: session.identity.roles,
      };
    });
  }
}
