// Device enrollment in its three flows (the service's `/v1/orgs/{org}/enrollments`):
//   token    — a native app signed the user in itself; the ID token's nonce is keyBoundNonce(keys);
//   redirect — the service is the OIDC client; the user opens `authorizationUrl` in a browser,
//              signs in, and confirms the device on the service's page by typing the
//              `confirmationCode` the device shows; the device fetches its result with the
//              enrollment secret;
//   device   — RFC 8628's user experience: the user enters `userCode` at the service's
//              `verificationUri` elsewhere, signs in and confirms the device there, while the
//              device polls (honouring interval, slow_down).
import type { EnrollmentRequest, EnrollmentResult } from '#protocol';
import { createCertificationRequest } from './certification-request.js';
import { parseIssuedCertificate, type EnrolledDevice } from './device-certificate.js';
import type { DeviceKeys } from './device-keys.js';
import { EnrollmentFailed, ResponseMalformed, ServiceRefusal } from './errors.js';
import { parseJson, refusalOf, type ServiceTransport } from './service-transport.js';
import { sleep, type Clock } from './timers.js';

export interface EnrollmentContext {
  transport: ServiceTransport;
  org: string;
  clock: Clock;
}

export interface DeviceDescription {
  keys: DeviceKeys;
  /** Shown to the user and admins, e.g. "Alice's laptop". */
  deviceName: string;
  /** Lower-case platform tag, e.g. `ios`, `android`, `macos`, `web`. */
  platform: string;
  /** Name or id of the org's IdP connection, when it has several. */
  idpConnection?: string;
}

export interface UserCodePrompt {
  /** Show it: the person types it on the service's page; it also confirms this device after sign-in. */
  userCode: string;
  verificationUri: string;
  /** The URI with the code filled in (for a QR code), when the IdP gives one. */
  verificationUriComplete?: string;
  expiresAt: Date;
}

export type EnrollOptions = DeviceDescription &
  (
    | { flow: 'token'; idToken: string }
    | {
        flow: 'redirect';
        /** Open `url` in a browser and show `confirmationCode`: the person types it after signing in. */
        onAuthorizationUrl: (url: string, confirmationCode: string) => void | Promise<void>;
        pollIntervalMs?: number;
        signal?: AbortSignal;
      }
    | { flow: 'device'; onUserCode: (prompt: UserCodePrompt) => void | Promise<void>; signal?: AbortSignal }
  );

/**
 * A started browser-redirect enrollment: send the user to `authorizationUrl`, show them
 * `confirmationCode` (the service asks for it after the sign-in, so a link forwarded to
 * someone else enrolls nothing), then await `result()`.
 */
export interface RedirectEnrollment {
  readonly enrollmentId: string;
  readonly authorizationUrl: string;
  readonly confirmationCode: string;
  readonly expiresAt: Date;
  /** Polls the enrollment until the sign-in completed (or failed, or expired). */
  result(options?: { pollIntervalMs?: number; signal?: AbortSignal }): Promise<EnrolledDevice>;
}

const DEFAULT_REDIRECT_POLL_MS = 2000;
/** RFC 8628 §3.2: without an interval the client waits 5 seconds; §3.5: slow_down adds 5. */
const DEFAULT_DEVICE_INTERVAL_S = 5;
const SLOW_DOWN_STEP_S = 5;

async function requestBody(device: DeviceDescription): Promise<EnrollmentRequest> {
  const csr = await createCertificationRequest(device.keys);
  return {
    csr: csr.pem,
    deviceName: device.deviceName,
    platform: device.platform,
    ciphersuite: device.keys.ciphersuite,
    ...(device.idpConnection !== undefined && { idpConnection: device.idpConnection }),
  };
}

function enrolled(ctx: EnrollmentContext, keys: DeviceKeys, answer: unknown): EnrolledDevice {
  const certificate = parseIssuedCertificate(answer);
  const accountId = (answer as { [K in keyof EnrollmentResult]?: unknown }).accountId;
  if (typeof accountId !== 'string') throw new ResponseMalformed('the enrollment answer has no accountId');
  return { org: ctx.org, accountId, deviceId: certificate.deviceId, keys, certificate };
}

function orgPath(org: string): string {
  return `/v1/orgs/${encodeURIComponent(org)}/enrollments`;
}

/** Turns refusals that end an enrollment into EnrollmentFailed with the service's reason. */
function failed(e: unknown): never {
  if (e instanceof ServiceRefusal && e.reason) throw new EnrollmentFailed(e.reason, e.message);
  throw e;
}

export async function enroll(ctx: EnrollmentContext, options: EnrollOptions): Promise<EnrolledDevice> {
  switch (options.flow) {
    case 'token': {
      const body = { ...(await requestBody(options)), idToken: options.idToken };
      const answer = await ctx.transport.json('POST', orgPath(ctx.org), { body }).catch(failed);
      return enrolled(ctx, options.keys, answer);
    }
    case 'redirect': {
      const started = await beginRedirectEnrollment(ctx, options);
      await options.onAuthorizationUrl(started.authorizationUrl, started.confirmationCode);
      return started.result({ pollIntervalMs: options.pollIntervalMs, signal: options.signal });
    }
    case 'device':
      return enrollWithDeviceCode(ctx, options);
    default:
      throw new TypeError(`unknown enrollment flow ${(options as { flow: unknown }).flow}`);
  }
}

interface Started {
  enrollmentId: string;
  enrollmentSecret: string;
  expiresAt: string;
  authorizationUrl?: string;
  confirmationCode?: string;
  verificationUri?: string;
  verificationUriComplete?: string;
  userCode?: string;
  interval?: number;
}

async function start(ctx: EnrollmentContext, device: DeviceDescription, flow: 'redirect' | 'device'): Promise<Started> {
  const body = { ...(await requestBody(device)), flow };
  const s = await ctx.transport.json<Started>('POST', orgPath(ctx.org), { body }).catch(failed);
  if (typeof s?.enrollmentId !== 'string' || typeof s.enrollmentSecret !== 'string') {
    throw new ResponseMalformed('the enrollment start answer has no enrollmentId or enrollmentSecret');
  }
  return s;
}

export async function beginRedirectEnrollment(ctx: EnrollmentContext, device: DeviceDescription): Promise<RedirectEnrollment> {
  const s = await start(ctx, device, 'redirect');
  if (typeof s.authorizationUrl !== 'string' || typeof s.confirmationCode !== 'string') {
    throw new ResponseMalformed('the redirect enrollment has no authorizationUrl or confirmationCode');
  }
  const path = `/v1/enrollments/${encodeURIComponent(s.enrollmentId)}`;
  return {
    enrollmentId: s.enrollmentId,
    authorizationUrl: s.authorizationUrl,
    confirmationCode: s.confirmationCode,
    expiresAt: new Date(s.expiresAt),
    async result(options = {}) {
      for (;;) {
        const answer = await ctx.transport
          .json<{ status?: string }>('GET', path, { bearer: s.enrollmentSecret, signal: options.signal })
          .catch(failed);
        if (answer.status === 'completed') return enrolled(ctx, device.keys, answer);
        if (answer.status !== 'pending') throw new ResponseMalformed(`unexpected enrollment status ${String(answer.status)}`);
        await sleep(ctx.clock, options.pollIntervalMs ?? DEFAULT_REDIRECT_POLL_MS, options.signal);
      }
    },
  };
}

async function enrollWithDeviceCode(
  ctx: EnrollmentContext,
  options: DeviceDescription & { onUserCode: (prompt: UserCodePrompt) => void | Promise<void>; signal?: AbortSignal },
): Promise<EnrolledDevice> {
  const s = await start(ctx, options, 'device');
  if (typeof s.userCode !== 'string' || typeof s.verificationUri !== 'string') {
    throw new ResponseMalformed('the device enrollment has no userCode or verificationUri');
  }
  await options.onUserCode({
    userCode: s.userCode,
    verificationUri: s.verificationUri,
    ...(typeof s.verificationUriComplete === 'string' && { verificationUriComplete: s.verificationUriComplete }),
    expiresAt: new Date(s.expiresAt),
  });
  let intervalS = typeof s.interval === 'number' && s.interval > 0 ? s.interval : DEFAULT_DEVICE_INTERVAL_S;
  const path = `/v1/enrollments/${encodeURIComponent(s.enrollmentId)}/poll`;
  for (;;) {
    await sleep(ctx.clock, intervalS * 1000, options.signal);
    const answer = await ctx.transport.raw('POST', path, { bearer: s.enrollmentSecret, signal: options.signal });
    if (answer.status === 200) {
      const body = parseJson<{ status?: string }>(answer.bytes, path);
      if (body.status === 'completed') return enrolled(ctx, options.keys, body);
      continue;
    }
    const refusal = refusalOf('POST', path, answer);
    if (!(refusal instanceof ServiceRefusal)) throw refusal;
    let given: unknown;
    try {
      given = (parseJson<{ interval?: unknown }>(answer.bytes, path) ?? {}).interval;
    } catch {
      given = undefined;
    }
    const serverInterval = typeof given === 'number' && given > 0 ? given : undefined;
    if (refusal.reason === 'authorization_pending') {
      intervalS = serverInterval ?? intervalS;
    } else if (refusal.reason === 'slow_down') {
      intervalS = Math.max(serverInterval ?? 0, intervalS + SLOW_DOWN_STEP_S);
    } else {
      failed(refusal);
    }
  }
}
