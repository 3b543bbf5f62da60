import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { DataSource } from 'typeorm';
import { keyBoundNonce } from '#protocol';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { SecretBox } from '../keys/index.js';
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
import { IdTokenAuthenticator } from './oidc/id-token-authenticator.js';
import { purgeSpentIdTokens } from './oidc/id-token-replay.js';
import { ENROLLMENT_SCOPE, idpClient, oauthErrorOf } from './oidc/idp-client.js';
import { IdpMetadataCache } from './oidc/idp-metadata.js';
import { checkDeviceAllowed, enrollmentPolicyOf, type EnrollmentPolicy } from './policy/enrollment-policy.js';
import { EnrollmentSession, type EnrollmentFlow } from './sessions/enrollment-session.entity.js';
import { enrollmentSecretMatches, mintEnrollmentSecret } from './sessions/enrollment-secret.js';

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
  verificationUri?: string;
  verificationUriComplete?: string;
  userCode?: string;
  interval?: number;
}

export type EnrollmentStatus =
  | { enrollmentId: string; status: 'pending'; flow: EnrollmentFlow }
  | ({ enrollmentId: string; status: 'completed'; flow: EnrollmentFlow } & EnrollmentResult);

/** How long a browser sign-in may take. Device flows live as long as the IdP's device_code. */
const REDIRECT_SESSION_TTL_MS = 10 * 60 * 1000;
/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds. */
const SLOW_DOWN_STEP_S = 5;
const REPLAY_PURGE_EVERY_MS = 10 * 60 * 1000;

/** What ends a redirect or device session as failed: a refusal of enrollment's or of the device rules. */
/** The families whose refusals end a redirect or device-flow session for good. */
const SESSION_FAILURE_FAMILIES = [EnrollmentErrors, DeviceErrors, OrgErrors] as const;

type SessionFailure = keyof typeof EnrollmentErrors.specs | keyof typeof DeviceErrors.specs | 'idp_connection_not_found';

function endsSession(e: unknown): e is DomainError & { code: SessionFailure } {
  return (EnrollmentErrors.is(e) && e.code !== 'enrollment_not_pending') || DeviceErrors.is(e) || OrgErrors.is(e, 'idp_connection_not_found');
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
  ) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void purgeSpentIdTokens(this.dataSource.manager).catch(() => undefined), REPLAY_PURGE_EVERY_MS);
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
      const { policy, device } = await this.prepare(org, req, false);
      const person = await this.authenticator.authenticate(org, req.idToken, device.subjectPublicKeyInfo, req.idpConnection);
      context.subject = person.identity.subject;
      return this.dataSource.transaction((m) => this.enrollment.enroll(m, { org, policy, person, idToken: req.idToken, device, flow: 'native' }));
    });
  }

  /** Flow 2 start: the authorization URL the device opens in a browser. */
  async startRedirect(org: Org, req: EnrollmentRequest): Promise<StartedEnrollment> {
    return this.enrollment.audited(org, { flow: 'redirect' }, async () => {
      const { device, csrDer } = await this.prepare(org, req);
      const connection = await this.authenticator.connectionFor(org, null, req.idpConnection);
      const { metadata } = await this.metadata.keysFor(connection);
      const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
      const state = randomBytes(32).toString('base64url');
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = keyBoundNonce(device.subjectPublicKeyInfo);
      const secret = mintEnrollmentSecret();
      const session = this.dataSource.getRepository(EnrollmentSession).create({
        id: crypto.randomUUID(),
        orgId: org.id,
        idpConnectionId: connection.id,
        flow: 'redirect',
        secretHash: secret.hash,
        state,
        nonce,
        csr: csrDer,
        deviceName: req.deviceName,
        platform: req.platform,
        ciphersuite: req.ciphersuite,
        expiresAt: new Date(Date.now() + REDIRECT_SESSION_TTL_MS),
      });
      session.codeVerifierSealed = this.box.seal(Buffer.from(verifier), `enrollment_session:${session.id}:pkce`);
      const authorizationUrl = oidc.buildAuthorizationUrl(client, {
        redirect_uri: this.callbackUrl,
        scope: ENROLLMENT_SCOPE,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      await this.dataSource.getRepository(EnrollmentSession).save(session);
      return {
        enrollmentId: session.id,
        flow: 'redirect',
        enrollmentSecret: secret.secret,
        expiresAt: session.expiresAt.toISOString(),
        authorizationUrl: authorizationUrl.href,
      };
    });
  }

  /**
   * Flow 2 end: the IdP redirected the browser here. `query` is the callback's query string
   * as received (the code, state, or an error).
   */
  async finishRedirect(query: string): Promise<{ enrollmentId: string; status: 'completed' }> {
    const params = new URLSearchParams(query);
    const state = params.get('state');
    const session = state ? await this.dataSource.getRepository(EnrollmentSession).findOneBy({ state, flow: 'redirect' }) : null;
    if (!session) refuse('state_invalid', 'no enrollment is waiting for this sign-in (unknown state)');
    const org = await this.orgOf(session);
    const context: { flow: string; enrollmentId: string; subject?: string } = { flow: 'redirect', enrollmentId: session.id };
    return this.enrollment.audited(org, context, async () => {
      if (session.status !== 'pending') refuse('enrollment_not_pending', `this enrollment is already ${session.status}`);
      await this.failIfExpired(session);
      const connection = await this.connectionOf(session);
      const idpError = params.get('error');
      if (idpError) {
        await this.fail(session, idpError === 'access_denied' ? 'access_denied' : 'idp_error', `the IdP answered ${idpError}`);
      }
      const { metadata } = await this.metadata.keysFor(connection);
      const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
      const verifier = this.box.open(session.codeVerifierSealed!, `enrollment_session:${session.id}:pkce`).toString();
      let idToken: string | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(client, new URL(`${this.callbackUrl}?${params}`), {
          pkceCodeVerifier: verifier,
          expectedState: session.state!,
          expectedNonce: session.nonce,
          idTokenExpected: true,
        });
        idToken = tokens.id_token;
      } catch (e) {
        const error = oauthErrorOf(e);
        await this.fail(session, error === 'access_denied' ? 'access_denied' : 'idp_error', `the code exchange failed${error ? `: ${error}` : ''}`);
      }
      if (!idToken) return this.fail(session, 'idp_error', 'the IdP returned no ID token');
      return this.complete(org, session, connection, idToken, false, context);
    });
  }

  /** Flow 3 start: the device authorization request (RFC 8628 §3.1) on the device's behalf. */
  async startDevice(org: Org, req: EnrollmentRequest): Promise<StartedEnrollment> {
    return this.enrollment.audited(org, { flow: 'device' }, async () => {
      const { device, csrDer } = await this.prepare(org, req);
      const connection = await this.authenticator.connectionFor(org, null, req.idpConnection);
      const { metadata } = await this.metadata.keysFor(connection);
      if (!metadata.device_authorization_endpoint) refuse('idp_error', 'the IdP does not offer the device authorization grant');
      const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
      const nonce = keyBoundNonce(device.subjectPublicKeyInfo);
      let da: oidc.DeviceAuthorizationResponse;
      try {
        // The nonce is not part of RFC 8628; IdPs that support it bind the token to the key too.
        da = await oidc.initiateDeviceAuthorization(client, { scope: ENROLLMENT_SCOPE, nonce });
      } catch (e) {
        refuse('idp_error', `the IdP refused the device authorization${oauthErrorOf(e) ? `: ${oauthErrorOf(e)}` : ''}`);
      }
      const secret = mintEnrollmentSecret();
      const interval = da.interval ?? 5;
      const session = this.dataSource.getRepository(EnrollmentSession).create({
        id: crypto.randomUUID(),
        orgId: org.id,
        idpConnectionId: connection.id,
        flow: 'device',
        secretHash: secret.hash,
        state: null,
        nonce,
        userCode: da.user_code,
        verificationUri: da.verification_uri,
        verificationUriComplete: da.verification_uri_complete ?? null,
        pollIntervalS: interval,
        nextPollAt: new Date(),
        csr: csrDer,
        deviceName: req.deviceName,
        platform: req.platform,
        ciphersuite: req.ciphersuite,
        expiresAt: new Date(Date.now() + da.expires_in * 1000),
      });
      session.deviceCodeSealed = this.box.seal(Buffer.from(da.device_code), `enrollment_session:${session.id}:device_code`);
      await this.dataSource.getRepository(EnrollmentSession).save(session);
      return {
        enrollmentId: session.id,
        flow: 'device',
        enrollmentSecret: secret.secret,
        expiresAt: session.expiresAt.toISOString(),
        verificationUri: da.verification_uri,
        verificationUriComplete: da.verification_uri_complete,
        userCode: da.user_code,
        interval,
      };
    });
  }

  /**
   * Flow 3 poll: one token request at the IdP (RFC 8628 §3.4); its pending/slow_down/
   * expired/denied answers are passed on (§3.5) as refusals with those reasons.
   */
  async pollDevice(enrollmentId: string, secret: string | undefined): Promise<EnrollmentStatus> {
    const session = await this.sessionFor(enrollmentId, secret);
    const org = await this.orgOf(session);
    const context: { flow: string; enrollmentId: string; subject?: string } = { flow: 'device', enrollmentId: session.id };
    if (session.flow !== 'device') refuse('request_invalid', 'this enrollment is not a device flow');
    if (session.status !== 'pending') return this.statusOf(session);
    return this.enrollment.audited(org, context, async () => {
      await this.failIfExpired(session);
      const now = Date.now();
      if (session.nextPollAt && session.nextPollAt.getTime() > now) {
        refuse('slow_down', `poll at most every ${session.pollIntervalS}s`, { interval: session.pollIntervalS });
      }
      const connection = await this.connectionOf(session);
      const { metadata } = await this.metadata.keysFor(connection);
      const client = idpClient(connection, metadata, this.orgs.idpClientSecret(connection));
      const deviceCode = this.box.open(session.deviceCodeSealed!, `enrollment_session:${session.id}:device_code`).toString();
      let idToken: string | undefined;
      try {
        const tokens = await oidc.genericGrantRequest(client, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: deviceCode });
        idToken = tokens.id_token;
      } catch (e) {
        const error = oauthErrorOf(e);
        let interval = session.pollIntervalS ?? 5;
        if (error === 'authorization_pending' || error === 'slow_down') {
          if (error === 'slow_down') interval += SLOW_DOWN_STEP_S;
          await this.dataSource
            .getRepository(EnrollmentSession)
            .update({ id: session.id }, { pollIntervalS: interval, nextPollAt: new Date(Date.now() + interval * 1000) });
          refuse(error, error === 'slow_down' ? 'the IdP asks to poll more slowly' : 'the user has not finished signing in', { interval });
        }
        if (error === 'expired_token') await this.fail(session, 'expired_token', 'the user code expired before the user signed in');
        if (error === 'access_denied') await this.fail(session, 'access_denied', 'the user declined the sign-in');
        // invalid_grant after another poll of ours redeemed the code: report that poll's outcome.
        const again = await this.dataSource.getRepository(EnrollmentSession).findOneByOrFail({ id: session.id });
        if (again.status !== 'pending') return this.statusOf(again);
        refuse('idp_error', `the IdP token request failed${error ? `: ${error}` : ''}`);
      }
      if (!idToken) return this.fail(session, 'idp_error', 'the IdP returned no ID token');
      await this.complete(org, session, connection, idToken, true, context);
      return this.statusOf(await this.dataSource.getRepository(EnrollmentSession).findOneByOrFail({ id: session.id }));
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

  /** Checks shared by all flows before anyone signs in: CSR, cipher suite, platform, key unused. */
  private async prepare(
    org: Org,
    req: EnrollmentRequest,
    earlyKeyCheck = true,
  ): Promise<{ policy: EnrollmentPolicy; device: DeviceToEnroll; csrDer: Buffer }> {
    const policy = enrollmentPolicyOf(org.settings);
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

  /** Validates the token for the session's key and enrolls, marking the session in the same transaction. */
  private async complete(
    org: Org,
    session: EnrollmentSession,
    connection: IdpConnection,
    idToken: string,
    fromTokenEndpoint: boolean,
    context: { subject?: string },
  ): Promise<{ enrollmentId: string; status: 'completed' }> {
    const policy = enrollmentPolicyOf(org.settings);
    const csr = await checkDeviceCsr(session.csr.toString('base64'), session.ciphersuite);
    let person;
    try {
      person = await this.authenticator.authenticateWith(connection, idToken, csr.subjectPublicKeyInfo, fromTokenEndpoint);
    } catch (e) {
      if (EnrollmentErrors.is(e)) await this.fail(session, e.code, e.message);
      throw e;
    }
    context.subject = person.identity.subject;
    const device: DeviceToEnroll = {
      deviceName: session.deviceName,
      platform: session.platform,
      ciphersuite: session.ciphersuite,
      subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
      subjectPublicKeyInfoSha256: csr.subjectPublicKeyInfoSha256,
    };
    try {
      await this.dataSource.transaction(async (m) => {
        // The session row is the lock: a second callback or poll for it waits, then sees it done.
        const locked = await m
          .getRepository(EnrollmentSession)
          .createQueryBuilder('s')
          .setLock('pessimistic_write')
          .where('s.id = :id', { id: session.id })
          .getOneOrFail();
        if (locked.status !== 'pending') refuse('enrollment_not_pending', `this enrollment is already ${locked.status}`);
        const result = await this.enrollment.enroll(m, { org, policy, person, idToken, device, flow: session.flow });
        await m.update(
          EnrollmentSession,
          { id: session.id },
          { status: 'completed', result: result as never, deviceCodeSealed: null, codeVerifierSealed: null },
        );
      });
    } catch (e) {
      if (endsSession(e)) await this.fail(session, e.code, e.message);
      throw e;
    }
    return { enrollmentId: session.id, status: 'completed' };
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
