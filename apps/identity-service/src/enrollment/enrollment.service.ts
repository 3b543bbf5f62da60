import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { DataSource } from 'typeorm';
import { keyBoundNonce } from '#protocol';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { SecretBox } from '../keys/index.js';
import { AccountErrors } from '../accounts/index.js';
import { CertificatesService } from '../certificates/index.js';
import { DomainError } from '../common/errors/domain-error.js';
import { DeviceErrors, DevicesService } from '../devices/index.js';
import { OrgErrors, orgNotFound, OrgsService, type IdpConnection, type Org } from '../orgs/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { KtReader } from '../transparency/index.js';
import { checkDeviceCsr } from './csr-input.js';
import { DeviceEnrollmentService, type DeviceToEnroll } from './device-enrollment.service.js';
import { EnrollmentErrors, refuse } from './enrollment.errors.js';
import type { EnrollmentResult } from './enrollment-result.js';
import { AnonymousRefusals } from './limits/anonymous-refusals.service.js';
import { requirePendingRoom } from './limits/pending-sessions.js';
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { purgeSpentIdTokens } from './oidc/id-token-replay.js';
import { ENROLLMENT_SCOPE, idpClient, oauthErrorOf } from './oidc/idp-client.js';
import { IdpMetadataCache } from './oidc/idp-metadata.js';
import { mfaAuthorizationParameters } from './oidc/mfa-request.js';
import { activatedPage, confirmationPage, type DeviceRequest } from './pages/enrollment-pages.js';
import { checkDeviceAllowed, checkFlowAllowed, enrollmentPolicyOf, type EnrollmentPolicy } from './policy/enrollment-policy.js';
import { confirmationCodeHash, confirmationCodeMatches, MAX_CONFIRMATION_ATTEMPTS, mintConfirmationCode } from './sessions/confirmation-code.js';
import { EnrollmentSession, type EnrollmentFlow } from './sessions/enrollment-session.entity.js';
import { enrollmentSecretMatches, mintEnrollmentSecret } from './sessions/enrollment-secret.js';
import { purgeExpiredSessions } from './sessions/session-purge.js';

export interface EnrollmentRequest {
  csr: string;
  deviceName: string;
  platform: string;
  ciphersuite: number;
  /** Name or id of the org's IdP connection; optional when the org has one (or the token says). */
  idpConnection?: string;
}

export interface StartedEnrollment {
  enrollmentId: string;
  flow: EnrollmentFlow;
  /** Shown once: the device presents it to fetch or poll its result. */
  enrollmentSecret: string;
  expiresAt: string;
  authorizationUrl?: string;
  /** Shown by the device; the person confirms it on the service's page after signing in. */
  confirmationCode: string;
  verificationUri?: string;
  verificationUriComplete?: string;
  userCode?: string;
  interval?: number;
}

export type EnrollmentStatus =
  | { enrollmentId: string; status: 'pending'; flow: EnrollmentFlow }
  | ({ enrollmentId: string; status: 'completed'; flow: EnrollmentFlow } & EnrollmentResult);

/** How long a browser sign-in may take; a device flow also waits for the person to find a browser. */
const REDIRECT_SESSION_TTL_MS = 10 * 60 * 1000;
const DEVICE_SESSION_TTL_MS = 15 * 60 * 1000;
/** RFC 8628 §3.2 default interval; §3.5: on slow_down the interval grows by 5 seconds. */
const DEVICE_POLL_INTERVAL_S = 5;
const SLOW_DOWN_STEP_S = 5;
const MAX_POLL_INTERVAL_S = 60;
/** The device flow's activation cookie: `<enrollment id>.<secret>`, HttpOnly, this browser typed the code. */
export const BINDING_COOKIE = 'mlsid_enrollment';
const REPLAY_PURGE_EVERY_MS = 10 * 60 * 1000;

/** What ends a redirect or device session as failed: a refusal of enrollment's or of the device rules. */
/** The families whose refusals end a redirect or device-flow session for good. */
const SESSION_FAILURE_FAMILIES = [EnrollmentErrors, DeviceErrors, OrgErrors, AccountErrors] as const;

type SessionFailure = keyof typeof EnrollmentErrors.specs | keyof typeof DeviceErrors.specs | 'idp_connection_not_found' | 'account_not_entitled';

function endsSession(e: unknown): e is DomainError & { code: SessionFailure } {
  return (
    (EnrollmentErrors.is(e) && e.code !== 'enrollment_not_pending') ||
    DeviceErrors.is(e) ||
    OrgErrors.is(e, 'idp_connection_not_found') ||
    AccountErrors.is(e, 'account_not_entitled')
  );
}

function sessionFailure(code: SessionFailure, detail: string, enrollmentId: string): DomainError {
  const family = SESSION_FAILURE_FAMILIES.find((f) => Object.hasOwn(f.specs, code)) ?? EnrollmentErrors;
  return family.error(code as never, detail, { enrollmentId });
}

/** The refusal a failed session answers with, every time it is asked. */
function failureOf(session: EnrollmentSession): DomainError {
  const code = (session.failureReason ?? 'idp_error') as SessionFailure;
  const known = SESSION_FAILURE_FAMILIES.some((f) => Object.hasOwn(f.specs, code));
  return sessionFailure(known ? code : 'idp_error', session.failureDetail ?? 'the enrollment failed', session.id);
}

/**
 * The three enrollment flows (issue 4), each ending in DeviceEnrollmentService.enroll:
 * native app with an ID token in hand; browser redirect with the service as confidential
 * client (authorization code + PKCE); headless device (RFC 8628 device authorization grant).
 */
@Injectable()
export class EnrollmentService implements OnModuleInit, OnModuleDestroy {
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly orgs: OrgsService,
    private readonly box: SecretBox,
    private readonly authenticator: IdTokenAuthenticator,
    private readonly metadata: IdpMetadataCache,
    private readonly enrollment: DeviceEnrollmentService,
    private readonly devices: DevicesService,
    private readonly certificates: CertificatesService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
    private readonly anonymousRefusals: AnonymousRefusals,
  ) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      void purgeSpentIdTokens(this.dataSource.manager).catch(() => undefined);
      void purgeExpiredSessions(this.dataSource.manager).catch(() => undefined);
      void this.anonymousRefusals.summarizeClosedWindows().catch(() => undefined);
    }, REPLAY_PURGE_EVERY_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  get callbackUrl(): string {
    return `${this.config.publicUrl}/v1/enrollments/callback`;
  }

  /** Flow 1: the native app signed the user in itself and sends the ID token with the CSR. */
  async enrollWithIdToken(org: Org, req: EnrollmentRequest & { idToken: string }): Promise<EnrollmentResult> {
    const context: { flow: string; subject?: string } = { flow: 'native' };
    return this.enrollment.audited(org, context, async () => {
      // The key is checked inside the enrolling transaction; no early answer is needed here.
      const { policy, device } = await this.prepare(org, req, 'native', false);
      // The app asked for the sign-in, not us: its auth_time is held to the policy when it sends one.
      const freshness = { maxAgeS: policy.maxSignInAgeS, required: false };
      const person = await this.authenticator.authenticate(org, req.idToken, device.subjectPublicKeyInfo, req.idpConnection, freshness);
      context.subject = person.identity.subject;
      return this.dataSource.transaction((m) => this.enrollment.enroll(m, { org, policy, person, idToken: req.idToken, device, flow: 'native' }));
    });
  }

  /** Flow 2 start: the authorization URL the device opens in a browser, and the code it shows. */
  async startRedirect(org: Org, req: EnrollmentRequest, requestedFrom: string | undefined): Promise<StartedEnrollment> {
    return this.enrollment.audited(org, { flow: 'redirect' }, async () => {
      const { session, secret, code } = await this.startBrowserSession(org, req, 'redirect', requestedFrom);
      return {
        enrollmentId: session.id,
        flow: 'redirect',
        enrollmentSecret: secret,
        expiresAt: session.expiresAt.toISOString(),
        authorizationUrl: session.authorizationUrl!,
        confirmationCode: code,
      };
    });
  }

  /**
   * Flow 3 start: RFC 8628's user experience with the service as the verification URI. The
   * device shows the activation page and its code; the person types the code there, signs
   * in at the IdP with the authorization code flow, and confirms the device on the service's
   * page after the sign-in, before the code exchange. The IdP's own device grant is not used:
   * it completes at the IdP, where nobody can be shown which device is asking (§5.4).
   */
  async startDevice(org: Org, req: EnrollmentRequest, requestedFrom: string | undefined): Promise<StartedEnrollment> {
    return this.enrollment.audited(org, { flow: 'device' }, async () => {
      const { session, secret, code } = await this.startBrowserSession(org, req, 'device', requestedFrom);
      return {
        enrollmentId: session.id,
        flow: 'device',
        enrollmentSecret: secret,
        expiresAt: session.expiresAt.toISOString(),
        verificationUri: this.activationUrl,
        userCode: code,
        confirmationCode: code,
        interval: DEVICE_POLL_INTERVAL_S,
      };
    });
  }

  /** A pending session with its PKCE verifier, key-bound nonce, state and confirmation code. */
  private async startBrowserSession(
    org: Org,
    req: EnrollmentRequest,
    flow: EnrollmentFlow,
    requestedFrom: string | undefined,
  ): Promise<{ session: EnrollmentSession; secret: string; code: string }> {
    const { policy, device, csrDer } = await this.prepare(org, req, flow);
    const connection = await this.authenticator.connectionFor(org, null, req.idpConnection);
    const { metadata } = await this.metadata.keysFor(connection);
    const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
    const state = randomBytes(32).toString('base64url');
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = keyBoundNonce(device.subjectPublicKeyInfo);
    const secret = mintEnrollmentSecret();
    const repo = this.dataSource.getRepository(EnrollmentSession);
    const session = repo.create({
      id: crypto.randomUUID(),
      orgId: org.id,
      idpConnectionId: connection.id,
      flow,
      secretHash: secret.hash,
      state,
      nonce,
      csr: csrDer,
      deviceName: req.deviceName,
      platform: req.platform,
      ciphersuite: req.ciphersuite,
      requestedFrom: requestedFrom ?? null,
      pollIntervalS: flow === 'device' ? DEVICE_POLL_INTERVAL_S : null,
      // Null: the first poll may come at once (the slot is claimed against the database clock).
      nextPollAt: null,
      expiresAt: new Date(Date.now() + (flow === 'device' ? DEVICE_SESSION_TTL_MS : REDIRECT_SESSION_TTL_MS)),
    });
    session.codeVerifierSealed = this.box.seal(Buffer.from(verifier), `enrollment_session:${session.id}:pkce`);
    session.authorizationUrl = oidc.buildAuthorizationUrl(client, {
      redirect_uri: this.callbackUrl,
      scope: ENROLLMENT_SCOPE,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      // OIDC Core §3.1.2.1: the IdP must re-authenticate a person whose sign-in is older, and send auth_time.
      max_age: String(policy.maxSignInAgeS),
      ...mfaAuthorizationParameters(connection),
      ...(policy.promptLogin ? { prompt: 'login' } : {}),
    }).href;
    // A device flow's code finds its session, so pending codes are unique; a collision (1 in 10^10) draws again.
    for (let attempt = 0; ; attempt++) {
      const code = mintConfirmationCode();
      session.confirmationCodeHash = code.hash;
      try {
        await this.dataSource.transaction(async (m) => {
          await requirePendingRoom(m, org.id, policy.maxPendingSessions);
          await m.save(session);
        });
        return { session, secret: secret.secret, code: code.code };
      } catch (e) {
        if (attempt >= 3 || (e as { code?: string }).code !== '23505') throw e;
      }
    }
  }

  /**
   * Flow 2 and 3, after the sign-in: the IdP redirected the browser here. Nothing is
   * exchanged yet; the page shows which device asked and asks the person to confirm it.
   * `query` is the callback's query string as received (the code, state, or an error).
   */
  async confirmationPage(query: string, viewerIp: string | undefined, bindingCookie: string | undefined): Promise<string> {
    const params = new URLSearchParams(query);
    const session = await this.sessionByState(params.get('state'));
    const org = await this.orgOf(session);
    return this.enrollment.audited(org, { flow: session.flow, enrollmentId: session.id }, async () => {
      await this.checkCallbackable(session, params);
      return confirmationPage({
        device: this.deviceRequestOf(session),
        viewerIp,
        action: `${this.callbackUrl}`,
        hidden: { response: params.toString() },
        codeAlreadyEntered: this.browserIsBound(session, bindingCookie),
      });
    });
  }

  /**
   * The person confirmed: the code they typed (or the activation cookie of this browser) must
   * be the device's; then the code exchange and the enrollment, with the session row locked
   * from the first state check to the last write.
   */
  async confirm(
    form: { response?: string; confirmation?: string },
    bindingCookie: string | undefined,
  ): Promise<{ enrollmentId: string; status: 'completed'; deviceName: string }> {
    const params = new URLSearchParams(form.response ?? '');
    const session = await this.sessionByState(params.get('state'));
    const org = await this.orgOf(session);
    const context: { flow: string; enrollmentId: string; subject?: string } = { flow: session.flow, enrollmentId: session.id };
    return this.enrollment.audited(org, context, async () => {
      await this.checkCallbackable(session, params);
      if (!this.browserIsBound(session, bindingCookie) && !confirmationCodeMatches(form.confirmation, session.confirmationCodeHash)) {
        await this.wrongConfirmation(session);
      }
      const connection = await this.connectionOf(session);
      const { metadata } = await this.metadata.keysFor(connection);
      const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
      await this.completeLocked(org, session, connection, context, async () => {
        const verifier = this.box.open(session.codeVerifierSealed!, `enrollment_session:${session.id}:pkce`).toString();
        try {
          const tokens = await oidc.authorizationCodeGrant(client, new URL(`${this.callbackUrl}?${params}`), {
            pkceCodeVerifier: verifier,
            expectedState: session.state!,
            expectedNonce: session.nonce,
            // auth_time is checked against the org policy below, with its own refusal reason.
            idTokenExpected: true,
          });
          if (!tokens.id_token) refuse('idp_error', 'the IdP returned no ID token');
          return tokens.id_token;
        } catch (e) {
          if (EnrollmentErrors.is(e)) throw e;
          const error = oauthErrorOf(e);
          if (error === 'access_denied') refuse('access_denied', 'the IdP refused the code exchange: access_denied');
          refuse('idp_error', `the code exchange failed${error ? `: ${error}` : ''}`);
        }
      });
      return { enrollmentId: session.id, status: 'completed' as const, deviceName: session.deviceName };
    });
  }

  /** A wrong code counts against the session (atomically); the last allowed one ends it. */
  private async wrongConfirmation(session: EnrollmentSession): Promise<never> {
    const [rows] = (await this.dataSource.query(
      `UPDATE enrollment_session SET confirmation_attempts = confirmation_attempts + 1, updated_at = now()
        WHERE id = $1 AND status = 'pending' RETURNING confirmation_attempts`,
      [session.id],
    )) as [{ confirmation_attempts: number }[], number];
    const attempts = rows[0]?.confirmation_attempts ?? MAX_CONFIRMATION_ATTEMPTS;
    if (attempts >= MAX_CONFIRMATION_ATTEMPTS) {
      await this.fail(session, 'confirmation_attempts_exhausted', `${attempts} wrong confirmation codes: start the enrollment again on the device`);
    }
    refuse('confirmation_code_invalid', 'this is not the code the enrolling device shows', { attemptsLeft: MAX_CONFIRMATION_ATTEMPTS - attempts });
  }

  /**
   * The device flow's verification URI: the person types the code the device shows. The
   * browser gets a cookie saying it did (so it only confirms after signing in) and a link
   * to the IdP. Unknown and ended codes answer alike.
   */
  async activate(
    typedCode: string | undefined,
    viewerIp: string | undefined,
  ): Promise<{ page: string; cookie: { name: string; value: string; maxAgeMs: number; secure: boolean } }> {
    const hash = confirmationCodeHash(typedCode);
    const session = hash
      ? await this.dataSource.getRepository(EnrollmentSession).findOneBy({ confirmationCodeHash: hash, status: 'pending', flow: 'device' })
      : null;
    if (!session || session.expiresAt.getTime() <= Date.now() || !session.authorizationUrl) {
      refuse('confirmation_code_invalid', 'no device enrollment is waiting for this code: check it, or start again on the device');
    }
    const org = await this.orgOf(session);
    return this.enrollment.audited(org, { flow: 'device', enrollmentId: session.id }, async () => {
      checkFlowAllowed(enrollmentPolicyOf(org.settings), 'device');
      const binding = mintEnrollmentSecret();
      await this.dataSource.getRepository(EnrollmentSession).update({ id: session.id, status: 'pending' }, { browserBindingHash: binding.hash });
      return {
        page: activatedPage({ device: this.deviceRequestOf(session), viewerIp, signInUrl: session.authorizationUrl! }),
        cookie: {
          name: BINDING_COOKIE,
          value: `${session.id}.${binding.secret}`,
          maxAgeMs: session.expiresAt.getTime() - Date.now(),
          secure: this.config.publicUrl.startsWith('https:'),
        },
      };
    });
  }

  get activationUrl(): string {
    return `${this.config.publicUrl}/v1/enrollments/activate`;
  }

  /**
   * Flow 3 poll: the person completes the enrollment in a browser; the device learns the
   * outcome here, at most once per interval (RFC 8628 §3.5 semantics: authorization_pending,
   * slow_down growing the interval by 5 s, expired_token). The poll slot is claimed
   * atomically, so concurrent polls cannot both pass.
   */
  async pollDevice(enrollmentId: string, secret: string | undefined): Promise<EnrollmentStatus> {
    const session = await this.sessionFor(enrollmentId, secret);
    const org = await this.orgOf(session);
    const context: { flow: string; enrollmentId: string; subject?: string } = { flow: 'device', enrollmentId: session.id };
    if (session.flow !== 'device') refuse('request_invalid', 'this enrollment is not a device flow');
    if (session.status !== 'pending') return this.statusOf(session);
    return this.enrollment.audited(org, context, async () => {
      await this.failIfExpired(session);
      const [claimed] = (await this.dataSource.query(
        `UPDATE enrollment_session SET next_poll_at = now() + make_interval(secs => poll_interval_s), updated_at = now()
          WHERE id = $1 AND status = 'pending' AND (next_poll_at IS NULL OR next_poll_at <= now()) RETURNING poll_interval_s`,
        [session.id],
      )) as [{ poll_interval_s: number }[], number];
      if (claimed.length > 0) {
        refuse('authorization_pending', 'the person has not confirmed the device yet', { interval: claimed[0]!.poll_interval_s });
      }
      const [slowed] = (await this.dataSource.query(
        `UPDATE enrollment_session SET poll_interval_s = LEAST(poll_interval_s + $2, $3),
                next_poll_at = now() + make_interval(secs => LEAST(poll_interval_s + $2, $3)), updated_at = now()
          WHERE id = $1 AND status = 'pending' RETURNING poll_interval_s`,
        [session.id, SLOW_DOWN_STEP_S, MAX_POLL_INTERVAL_S],
      )) as [{ poll_interval_s: number }[], number];
      if (slowed.length === 0) return this.statusOf(await this.dataSource.getRepository(EnrollmentSession).findOneByOrFail({ id: session.id }));
      refuse('slow_down', `polled too often: wait ${slowed[0]!.poll_interval_s}s`, { interval: slowed[0]!.poll_interval_s });
    });
  }

  /** The device fetches its result (redirect flow) with its enrollment secret. */
  async status(enrollmentId: string, secret: string | undefined): Promise<EnrollmentStatus> {
    const session = await this.sessionFor(enrollmentId, secret);
    if (session.status === 'pending' && session.expiresAt.getTime() <= Date.now()) {
      refuse('expired_token', 'the enrollment expired before the user signed in');
    }
    return this.statusOf(session);
  }

  private statusOf(session: EnrollmentSession): EnrollmentStatus {
    if (session.status === 'completed') {
      return { enrollmentId: session.id, status: 'completed', flow: session.flow, ...(session.result as unknown as EnrollmentResult) };
    }
    if (session.status === 'failed') {
      throw failureOf(session);
    }
    return { enrollmentId: session.id, status: 'pending', flow: session.flow };
  }

  /** Checks shared by all flows before anyone signs in: flow, CSR, cipher suite, platform, key unused. */
  private async prepare(
    org: Org,
    req: EnrollmentRequest,
    flow: EnrollmentFlow | 'native',
    earlyKeyCheck = true,
  ): Promise<{ policy: EnrollmentPolicy; device: DeviceToEnroll; csrDer: Buffer }> {
    const policy = enrollmentPolicyOf(org.settings);
    checkFlowAllowed(policy, flow);
    checkDeviceAllowed(policy, req);
    const csr = await checkDeviceCsr(req.csr, req.ciphersuite);
    if (earlyKeyCheck) {
      // Checked again inside the enrolling transaction; this early answer spares a sign-in.
      if (await this.devices.findBySignatureKeyHash(Buffer.from(csr.subjectPublicKeyInfoSha256))) {
        throw DeviceErrors.error('signature_key_already_used', 'this signature key was enrolled before; a device must make a new key');
      }
    }
    return {
      policy,
      csrDer: csr.der,
      device: {
        deviceName: req.deviceName,
        platform: req.platform,
        ciphersuite: req.ciphersuite,
        subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
        subjectPublicKeyInfoSha256: csr.subjectPublicKeyInfoSha256,
      },
    };
  }

  /**
   * The code exchange, the token check for the session's key and the enrollment, in one
   * transaction that first locks the session row: a second confirmation or a poll for it
   * waits, then sees it done. The lock is held across the IdP's token answer (its timeout
   * bounds that); every refusal rolls the enrollment back and then ends the session.
   */
  private async completeLocked(
    org: Org,
    session: EnrollmentSession,
    connection: IdpConnection,
    context: { subject?: string },
    exchange: () => Promise<string>,
  ): Promise<void> {
    const policy = enrollmentPolicyOf(org.settings);
    const csr = await checkDeviceCsr(session.csr.toString('base64'), session.ciphersuite);
    const device: DeviceToEnroll = {
      deviceName: session.deviceName,
      platform: session.platform,
      ciphersuite: session.ciphersuite,
      subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
      subjectPublicKeyInfoSha256: csr.subjectPublicKeyInfoSha256,
    };
    try {
      await this.dataSource.transaction(async (m) => {
        const locked = await m
          .getRepository(EnrollmentSession)
          .createQueryBuilder('s')
          .setLock('pessimistic_write')
          .where('s.id = :id', { id: session.id })
          .getOneOrFail();
        if (locked.status !== 'pending') refuse('enrollment_not_pending', `this enrollment is already ${locked.status}`);
        if (locked.expiresAt.getTime() <= Date.now()) refuse('expired_token', 'the enrollment expired before it was confirmed');
        checkFlowAllowed(policy, locked.flow);
        const idToken = await exchange();
        const person = await this.authenticator.authenticateWith(connection, idToken, csr.subjectPublicKeyInfo, false, {
          maxAgeS: policy.maxSignInAgeS,
          required: true,
          notBefore: policy.promptLogin ? locked.createdAt : undefined,
        });
        context.subject = person.identity.subject;
        const result = await this.enrollment.enroll(m, { org, policy, person, idToken, device, flow: session.flow });
        await m.update(
          EnrollmentSession,
          { id: session.id },
          { status: 'completed', result: result as never, deviceCodeSealed: null, codeVerifierSealed: null, browserBindingHash: null },
        );
      });
    } catch (e) {
      if (endsSession(e)) await this.fail(session, e.code, e.message);
      throw e;
    }
  }

  private async sessionByState(state: string | null): Promise<EnrollmentSession> {
    const session = state ? await this.dataSource.getRepository(EnrollmentSession).findOneBy({ state }) : null;
    if (!session) refuse('state_invalid', 'no enrollment is waiting for this sign-in (unknown state)');
    return session;
  }

  /** The callback may be shown and confirmed: pending, not expired, allowed, and no IdP error. */
  private async checkCallbackable(session: EnrollmentSession, params: URLSearchParams): Promise<void> {
    if (session.status !== 'pending') refuse('enrollment_not_pending', `this enrollment is already ${session.status}`);
    await this.failIfExpired(session);
    const org = await this.orgOf(session);
    checkFlowAllowed(enrollmentPolicyOf(org.settings), session.flow);
    const idpError = params.get('error');
    if (idpError) {
      await this.fail(session, idpError === 'access_denied' ? 'access_denied' : 'idp_error', `the IdP answered ${idpError}`);
    }
    if (!params.get('code')) refuse('request_invalid', 'the IdP redirect carries no authorization code');
  }

  /** This browser typed the device flow's code on the activation page (its cookie says so). */
  private browserIsBound(session: EnrollmentSession, cookie: string | undefined): boolean {
    if (session.flow !== 'device' || !session.browserBindingHash || !cookie) return false;
    const dot = cookie.indexOf('.');
    return cookie.slice(0, dot) === session.id && enrollmentSecretMatches(cookie.slice(dot + 1), session.browserBindingHash);
  }

  private deviceRequestOf(session: EnrollmentSession): DeviceRequest {
    return {
      deviceName: session.deviceName,
      platform: session.platform,
      requestedFrom: session.requestedFrom,
      requestedAt: session.createdAt,
      expiresAt: session.expiresAt,
    };
  }

  private async sessionFor(enrollmentId: string, secret: string | undefined): Promise<EnrollmentSession> {
    const session = /^[0-9a-f-]{36}$/i.test(enrollmentId)
      ? await this.dataSource.getRepository(EnrollmentSession).findOneBy({ id: enrollmentId })
      : null;
    // Unknown id and wrong secret answer alike, so ids cannot be probed.
    if (!session || !enrollmentSecretMatches(secret, session.secretHash)) {
      refuse('enrollment_secret_invalid', 'unknown enrollment or wrong enrollment secret');
    }
    return session;
  }

  private async orgOf(session: EnrollmentSession): Promise<Org> {
    const org = await this.orgs.findById(session.orgId);
    if (!org) throw orgNotFound(session.orgId);
    return org;
  }

  private async connectionOf(session: EnrollmentSession): Promise<IdpConnection> {
    const connection = await this.orgs.findIdpConnection(session.orgId, session.idpConnectionId);
    if (!connection) return this.fail(session, 'idp_connection_not_found', 'the IdP connection of this enrollment was removed');
    return connection;
  }

  private async failIfExpired(session: EnrollmentSession): Promise<void> {
    if (session.expiresAt.getTime() <= Date.now()) await this.fail(session, 'expired_token', 'the enrollment expired before the user signed in');
  }

  /** Records the session's end and refuses with the same reason. */
  private async fail(session: EnrollmentSession, reason: SessionFailure, detail: string): Promise<never> {
    await this.dataSource
      .getRepository(EnrollmentSession)
      .update(
        { id: session.id, status: 'pending' },
        { status: 'failed', failureReason: reason, failureDetail: detail, deviceCodeSealed: null, codeVerifierSealed: null },
      );
    throw sessionFailure(reason, detail, session.id);
  }

  /**
   * A completed enrollment with the key-transparency receipt of its certificate (the org is
   * the certificate's: status and poll know only the enrollment id).
   */
  async withReceipt<T extends object>(result: T): Promise<T> {
    const sha256 = (result as { certificate?: { sha256?: string } }).certificate?.sha256;
    if (!sha256) return result;
    this.outbox.nudge();
    const certificate = await this.certificates.findBySha256(Buffer.from(sha256, 'hex'));
    const org = certificate ? await this.orgs.findById(certificate.orgId) : null;
    if (!org) return result;
    return { ...result, transparency: await this.kt.receipt(org, sha256, 'certificate_issued') };
  }
}
