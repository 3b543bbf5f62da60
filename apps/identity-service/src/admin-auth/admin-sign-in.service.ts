import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import {
  ENROLLMENT_SCOPE,
  EnrollmentErrors,
  enrollmentPolicyOf,
  IdpMetadataCache,
  IdTokenAuthenticator,
  idpClient,
  mfaAuthorizationParameters,
  oauthErrorOf,
} from '../enrollment/index.js';
import { SecretBox } from '../keys/index.js';
import { effectiveSettings, hashToken, OrgsService, type IdpConnection, type Org } from '../orgs/index.js';
import { AdminAuthErrors } from './admin-auth.errors.js';
import { AdminCredentialsService, adminActor, type AdminIdentity } from './admin-credentials.service.js';
import { mapAdminRoles } from './admin-role-mapping.js';
import { CliLoginService } from './cli-login.service.js';

/** How long the IdP sign-in may take between leaving for the IdP and coming back. */
const SIGN_IN_TTL_S = 10 * 60;

interface SignInRow {
  id: string;
  org_id: string;
  idp_connection_id: string;
  state: string;
  nonce: string;
  code_verifier_sealed: Buffer;
  browser_hash: Buffer;
  cli_login_id: string | null;
  expired: boolean;
}

export interface SignedIn {
  identity: AdminIdentity;
  actor: string;
  session: { id: string; secret: string; expiresAt: Date };
  /**
   * The sign-in was started for a CLI login: the admin approves it explicitly next (RFC 8628 §5.4:
   * whoever sent the link may be phishing for a token), seeing where it was requested from.
   */
  cliLogin: { id: string; requestedFrom: string | null; requestedAt: Date } | null;
}

/** The sealed PKCE verifier's context (KEK rotation re-seals it under the same one). */
export const signInVerifierContext = (id: string) => `admin_sign_in:${id}:pkce`;

/**
 * Admin sign-in through the org's IdP connection: authorization code + PKCE with the service
 * as confidential client, the ID token validated by enrollment's authenticator (same rules),
 * roles mapped from the groups claim by the org's adminRoles setting, re-evaluated at every
 * sign-in. The sign-in is bound to the browser that started it (a cookie), so an attacker
 * cannot feed a victim's browser the answer to the attacker's own sign-in.
 */
@Injectable()
export class AdminSignInService {
  private readonly log = new Logger(AdminSignInService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly orgs: OrgsService,
    private readonly box: SecretBox,
    private readonly authenticator: IdTokenAuthenticator,
    private readonly metadata: IdpMetadataCache,
    private readonly credentials: AdminCredentialsService,
    private readonly cliLogins: CliLoginService,
    private readonly audit: AuditService,
  ) {}

  /** Pending sign-ins past their expiry answer nothing (the callback refuses them anyway). */
  async purgeExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM admin_sign_in WHERE expires_at < now()`);
  }

  get callbackUrl(): string {
    return `${this.config.publicUrl}/v1/admin/sign-in/callback`;
  }

  /** The IdP's authorization URL, and the secret the browser keeps (cookie) to finish this sign-in. */
  async start(org: Org, connectionHint?: string, cliLoginId?: string): Promise<{ authorizationUrl: string; browserSecret: string }> {
    const connection = await this.authenticator.connectionFor(org, null, connectionHint);
    const { metadata } = await this.metadata.keysFor(connection);
    const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const verifier = oidc.randomPKCECodeVerifier();
    const browserSecret = randomBytes(32).toString('base64url');
    const id = crypto.randomUUID();
    await this.dataSource.query(
      `INSERT INTO admin_sign_in (id, org_id, idp_connection_id, state, nonce, code_verifier_sealed, browser_hash, cli_login_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))`,
      [
        id,
        org.id,
        connection.id,
        state,
        nonce,
        this.box.seal(Buffer.from(verifier), signInVerifierContext(id)),
        hashToken(browserSecret),
        cliLoginId ?? null,
        SIGN_IN_TTL_S,
      ],
    );
    const authorizationUrl = oidc.buildAuthorizationUrl(client, {
      redirect_uri: this.callbackUrl,
      // Okta (and generic providers) release `groups` on its scope; Entra puts it in every token and refuses unknown scopes.
      scope: connection.kind === 'entra' ? ENROLLMENT_SCOPE : `${ENROLLMENT_SCOPE} groups`,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      // The org's sign-in freshness (OIDC Core §3.1.2.1), checked again on the ID token's auth_time.
      max_age: String(enrollmentPolicyOf(org.settings).maxSignInAgeS),
      ...mfaAuthorizationParameters(connection),
    }).href;
    return { authorizationUrl, browserSecret };
  }

  /**
   * The IdP sent the browser back with `query`. The pending sign-in is spent at once (a state
   * answers once), then the code exchange, the ID token and the role mapping; every refusal
   * after the state matched is audited.
   */
  async callback(query: string, browserSecret: string | undefined, ip: string | undefined): Promise<SignedIn> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    const [rows]: [SignInRow[], number] = state
      ? await this.dataSource.query(`DELETE FROM admin_sign_in WHERE state = $1 RETURNING *, expires_at < now() AS expired`, [state])
      : [[], 0];
    const pending = rows[0];
    if (!pending || pending.expired) throw AdminAuthErrors.error('sign_in_state_invalid', 'no admin sign-in is waiting for this answer: start again');
    const org = await this.orgs.findById(pending.org_id);
    if (!org) throw AdminAuthErrors.error('sign_in_state_invalid', 'the org of this sign-in no longer exists');
    let subject: string | undefined;
    try {
      if (!browserSecret || !hashToken(browserSecret).equals(pending.browser_hash)) {
        throw AdminAuthErrors.error('sign_in_other_browser', 'this browser did not start this sign-in');
      }
      const error = params.get('error');
      if (error) throw AdminAuthErrors.error('sign_in_idp_refused', `the IdP answered ${error.slice(0, 64)}`);
      const connection = (await this.orgs.listIdpConnections(org.id)).find((c) => c.id === pending.idp_connection_id);
      if (!connection) throw AdminAuthErrors.error('sign_in_state_invalid', 'the IdP connection of this sign-in was removed');
      const idToken = await this.exchange(connection, pending, params);
      // An admin's sign-in is held to the org's sign-in freshness, as a device's enrollment is.
      const freshness = { maxAgeS: enrollmentPolicyOf(org.settings).maxSignInAgeS, required: false };
      const person = await this.authenticator.authenticateWithNonce(org, idToken, pending.nonce, connection.id, freshness);
      subject = person.identity.subject;
      const mapped = mapAdminRoles(org.slug, effectiveSettings(org.settings).adminRoles, person.claims, this.config.admin);
      const identity: AdminIdentity = {
        orgId: org.id,
        orgSlug: org.slug,
        idpConnectionId: connection.id,
        issuer: connection.issuer,
        subject: person.identity.subject,
        // Only an address the IdP vouches for names the admin in the audit log; otherwise the stable subject does.
        email: person.identity.emailVerified ? person.identity.email : null,
        name: person.identity.displayName,
        roles: mapped.roles,
        platform: mapped.platform,
      };
      const actor = adminActor(identity);
      const session = await this.dataSource.transaction(async (m) => {
        const created = await this.credentials.createSession(m, identity);
        await this.audit.record(m, {
          orgId: org.id,
          actor,
          action: 'admin.signed_in',
          target: `admin-session:${created.id}`,
          details: {
            issuer: identity.issuer,
            subject: identity.subject,
            roles: identity.roles,
            groups: mapped.matchedGroups,
            ip: ip ?? null,
            ...(pending.cli_login_id ? { cliLogin: pending.cli_login_id } : {}),
          },
        });
        return created;
      });
      const cliLogin = pending.cli_login_id ? await this.cliLogins.describe(pending.cli_login_id, org.id) : null;
      return { identity, actor, session, cliLogin };
    } catch (e) {
      if (e instanceof DomainError) {
        await this.audit.record(this.dataSource.manager, {
          orgId: org.id,
          actor: subject ? `admin:${subject}` : 'anonymous',
          action: 'admin.sign_in_refused',
          target: `org:${org.slug}`,
          details: { reason: e.code, ip: ip ?? null },
        });
        this.log.warn(`admin sign-in to ${org.slug} refused: ${e.code}`);
      }
      throw e;
    }
  }

  private async exchange(connection: IdpConnection, pending: SignInRow, params: URLSearchParams): Promise<string> {
    const { metadata } = await this.metadata.keysFor(connection);
    const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
    const verifier = this.box.open(pending.code_verifier_sealed, signInVerifierContext(pending.id)).toString();
    try {
      const tokens = await oidc.authorizationCodeGrant(client, new URL(`${this.callbackUrl}?${params}`), {
        pkceCodeVerifier: verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      if (!tokens.id_token) throw AdminAuthErrors.error('sign_in_idp_failed', 'the IdP returned no ID token');
      return tokens.id_token;
    } catch (e) {
      if (AdminAuthErrors.is(e) || EnrollmentErrors.is(e)) throw e;
      const error = oauthErrorOf(e);
      if (error === 'access_denied' || error === 'invalid_grant')
        throw AdminAuthErrors.error('sign_in_idp_refused', `the IdP refused the code exchange: ${error}`);
      throw AdminAuthErrors.error('sign_in_idp_failed', `the code exchange failed${error ? `: ${error}` : ''}`);
    }
  }
}
