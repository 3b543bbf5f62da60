// Certificate renewal without a new IdP sign-in (`POST /v1/devices/{id}/certificate/renew`,
// signed with the current certificate's key), and a scheduler that renews before expiry.
import type { RenewalRequest } from '#protocol';
import { createCertificationRequest } from './certification-request.js';
import { parseIssuedCertificate, type DeviceCertificate, type EnrolledDevice } from './device-certificate.js';
import { generateDeviceKeys } from './device-keys.js';
import { ServiceRefusal, ServiceUnavailable } from './errors.js';
import type { ServiceTransport } from './service-transport.js';
import { systemClock, type Clock } from './timers.js';

export interface RenewOptions {
  /** Certify a fresh key instead of the current one (the service refuses a key used before). */
  rotateKey?: boolean;
}

export interface Renewed {
  certificate: DeviceCertificate;
  keyRotated: boolean;
}

/**
 * Renews once and, on success, updates `device` in place (certificate, and keys on rotation),
 * so that every later signed request uses the new chain.
 */
export async function renewCertificate(transport: ServiceTransport, device: EnrolledDevice, options: RenewOptions = {}): Promise<Renewed> {
  const keys = options.rotateKey ? await generateDeviceKeys(device.keys.ciphersuite) : device.keys;
  const csr = await createCertificationRequest(keys);
  const answer = await transport.json<{ keyRotated?: unknown }>('POST', `/v1/devices/${encodeURIComponent(device.deviceId)}/certificate/renew`, {
    body: { csr: csr.pem } satisfies RenewalRequest,
    device: { keys: device.keys, chainDer: device.certificate.chainDer },
  });
  const certificate = parseIssuedCertificate(answer);
  device.keys = keys;
  device.certificate = certificate;
  return { certificate, keyRotated: answer.keyRotated === true };
}

/** Why the service will not renew; each asks the app for something different. */
export type RenewalRefusal =
  /** The device or its account was revoked: stop using this identity, tell the user. */
  | 'revoked'
  /** Org policy wants a fresh IdP sign-in: `session.reauthenticate(signIn)` keeps the device. */
  | 'reauthentication-required'
  /** The rotated key was used before: renew again with another fresh key. */
  | 'key-already-used'
  /**
   * The certificate expired before it could be renewed: `session.reauthenticate(signIn)`
   * while the org's grace lasts (the device keeps its identity), enroll again after it.
   */
  | 'expired'
  /** Any other refusal; `serviceReason` says which. */
  | 'refused';

export type RenewalEvent =
  | { type: 'scheduled'; at: Date }
  | { type: 'renewed'; certificate: DeviceCertificate; keyRotated: boolean }
  | { type: 'retrying'; at: Date; error: Error }
  | { type: 'refused'; refusal: RenewalRefusal; serviceReason?: string; error: ServiceRefusal };

const REFUSALS: Record<string, RenewalRefusal> = {
  certificate_revoked: 'revoked',
  device_revoked: 'revoked',
  device_expired: 'revoked',
  account_inactive: 'revoked',
  reauthentication_required: 'reauthentication-required',
  signature_key_already_used: 'key-already-used',
  certificate_expired: 'expired',
};

export function renewalRefusalOf(error: ServiceRefusal): RenewalRefusal {
  return (error.reason && REFUSALS[error.reason]) || 'refused';
}

export interface AutoRenewalOptions extends RenewOptions {
  /**
   * Renew this many milliseconds before the certificate's notAfter. Default: at the
   * service's `renewAfter` hint (two thirds into the lifetime).
   */
  marginMs?: number;
  /** First retry delay after a transient failure; doubles up to `maxRetryDelayMs`. Default 30 s. */
  retryDelayMs?: number;
  /** Default 1 hour. */
  maxRetryDelayMs?: number;
  clock?: Clock;
  onEvent?: (event: RenewalEvent) => void;
}

/** When the current certificate should be renewed. */
export function renewalTime(certificate: DeviceCertificate, marginMs?: number): Date {
  return marginMs === undefined ? certificate.renewAfter : new Date(certificate.notAfter.getTime() - marginMs);
}

/**
 * Keeps a device's certificate fresh: renews at `renewalTime`, retries transient failures
 * with backoff, and stops with a `refused` event when the service says no.
 */
export class AutoRenewal {
  private cancel: (() => void) | undefined;
  private retryDelay: number;
  private active = false;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly transport: ServiceTransport,
    readonly device: EnrolledDevice,
    private readonly options: AutoRenewalOptions = {},
  ) {
    this.retryDelay = options.retryDelayMs ?? 30_000;
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  get running(): boolean {
    return this.active;
  }

  start(): this {
    if (!this.active) {
      this.active = true;
      this.schedule(renewalTime(this.device.certificate, this.options.marginMs).getTime());
    }
    return this;
  }

  stop(): void {
    this.active = false;
    this.cancel?.();
    this.cancel = undefined;
  }

  /** Resolves when no renewal attempt is in flight (tests and orderly shutdown wait on it). */
  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  /** Renews now (e.g. after the app learns its certificate changed) and reschedules. */
  renewNow(): Promise<void> {
    this.cancel?.();
    this.inFlight ??= this.attempt().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private emit(event: RenewalEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // an app's listener failing must not stop renewals
    }
  }

  private schedule(at: number): void {
    if (!this.active) return;
    this.cancel?.();
    this.emit({ type: 'scheduled', at: new Date(at) });
    this.cancel = this.clock.setTimer(() => void this.renewNow(), Math.max(0, at - this.clock.now()));
  }

  private async attempt(): Promise<void> {
    try {
      const renewed = await renewCertificate(this.transport, this.device, { rotateKey: this.options.rotateKey });
      this.retryDelay = this.options.retryDelayMs ?? 30_000;
      this.emit({ type: 'renewed', ...renewed });
      this.schedule(renewalTime(renewed.certificate, this.options.marginMs).getTime());
    } catch (e) {
      if (e instanceof ServiceRefusal && !(e.status === 401 && e.reason === 'replayed')) {
        this.stop();
        this.emit({ type: 'refused', refusal: renewalRefusalOf(e), ...(e.reason && { serviceReason: e.reason }), error: e });
        return;
      }
      const error = e instanceof Error ? e : new ServiceUnavailable(String(e));
      const at = this.clock.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs ?? 3_600_000);
      if (!this.active) return;
      this.emit({ type: 'retrying', at: new Date(at), error });
      this.cancel = this.clock.setTimer(() => void this.renewNow(), at - this.clock.now());
    }
  }
}
