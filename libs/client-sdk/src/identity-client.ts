// The entry point an app holds: one per org and service. Unauthenticated work (enrollment,
// trust bundle, external senders) happens here; work as an enrolled device goes through a
// DeviceSession, whose requests are signed with the device key.
import type { Credential } from 'ts-mls';
import { type DeviceCertificate, type EnrolledDevice } from './device-certificate.js';
import { AccountWatcher, type AccountChanges } from './account-watch.js';
import {
  beginRedirectEnrollment,
  enroll,
  type DeviceDescription,
  type EnrollmentContext,
  type EnrollOptions,
  type RedirectEnrollment,
} from './enrollment.js';
import { PeerVerifier, type PeerCredentialInput, type PeerVerification } from './peer-verification.js';
import { reauthenticate, type ReauthenticateOptions, type ReauthenticationSignIn } from './reauthentication.js';
import { AutoRenewal, renewCertificate, type AutoRenewalOptions, type Renewed, type RenewOptions } from './renewal.js';
import { fetchExternalSenders, type ServiceExternalSenders } from './service-removals.js';
import { ServiceTransport, type FetchLike } from './service-transport.js';
import { MemoryStorage, type SdkStorage } from './storage.js';
import { systemClock, type Clock } from './timers.js';
import { TransparencyLog } from './transparency-log.js';
import { TrustBundleCache, type TrustBundle } from './trust-bundle.js';

export interface IdentityClientOptions {
  /** The identity service root, e.g. `https://id.example.com`. */
  baseUrl: string;
  /** The org slug, e.g. `acme`. */
  org: string;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Where log state and peer verdicts persist. Default: memory (lost on restart). */
  storage?: SdkStorage;
  /** The org log's verifier key, pinned out of band; default trust on first use. */
  logVerifierKey?: string;
  clock?: Clock;
  crypto?: Crypto;
}

export class IdentityClient {
  readonly transport: ServiceTransport;
  readonly org: string;
  readonly clock: Clock;
  readonly storage: SdkStorage;
  readonly trustBundles: TrustBundleCache;

  constructor(readonly options: IdentityClientOptions) {
    this.org = options.org;
    this.clock = options.clock ?? systemClock;
    this.storage = options.storage ?? new MemoryStorage();
    this.transport = new ServiceTransport({ baseUrl: options.baseUrl, fetch: options.fetch, crypto: options.crypto, now: () => this.clock.now() });
    this.trustBundles = new TrustBundleCache(this.transport, this.org, this.clock);
  }

  private get enrollment(): EnrollmentContext {
    return { transport: this.transport, org: this.org, clock: this.clock };
  }

  /** Enrolls a device with one of the three flows (`token`, `redirect`, `device`). */
  enroll(options: EnrollOptions): Promise<EnrolledDevice> {
    return enroll(this.enrollment, options);
  }

  /** Starts a browser-redirect enrollment: open `authorizationUrl`, show `confirmationCode`, then `await result()`. */
  beginRedirectEnrollment(device: DeviceDescription): Promise<RedirectEnrollment> {
    return beginRedirectEnrollment(this.enrollment, device);
  }

  trustBundle(): Promise<TrustBundle> {
    return this.trustBundles.get();
  }

  /** The org's verified external senders and the extension to create groups with. */
  async externalSenders(ciphersuite: number): Promise<ServiceExternalSenders> {
    return fetchExternalSenders(this.transport, this.org, await this.trustBundle(), ciphersuite, new Date(this.clock.now()));
  }

  /** Work done as `device`: renewal, peer verification, account watching. */
  session(device: EnrolledDevice): DeviceSession {
    return new DeviceSession(this, device);
  }
}

export class DeviceSession {
  readonly log: TransparencyLog;
  private readonly peers: PeerVerifier;
  private readonly accounts: AccountWatcher;

  constructor(
    readonly client: IdentityClient,
    readonly device: EnrolledDevice,
  ) {
    const signing = () => ({ keys: device.keys, chainDer: device.certificate.chainDer });
    const { transport, org, storage, clock } = client;
    this.log = new TransparencyLog(transport, org, signing, storage, { verifierKey: client.options.logVerifierKey });
    this.peers = new PeerVerifier({
      transport,
      device: signing,
      trustBundle: client.trustBundles,
      log: this.log,
      storage,
      clock,
      org,
      crypto: client.options.crypto,
    });
    this.accounts = new AccountWatcher(this.log, storage, org);
  }

  /** Renews the certificate now; `device` is updated in place. */
  renew(options?: RenewOptions): Promise<Renewed> {
    return renewCertificate(this.client.transport, this.device, options);
  }

  /**
   * A fresh IdP sign-in for this device, keeping its id and identity (after a
   * `reauthentication-required` or `expired` renewal refusal): `signIn(nonce)` signs the user
   * in with that nonce and returns the ID token. `device.certificate` is updated in place.
   */
  reauthenticate(signIn: ReauthenticationSignIn, options: ReauthenticateOptions = {}): Promise<DeviceCertificate> {
    return reauthenticate(this.client.transport, this.device, signIn, { crypto: this.client.options.crypto, ...options });
  }

  /** Renews before expiry from now on; listen to `onEvent` for `refused` (revoked, re-sign-in, ...). */
  startAutoRenewal(options: AutoRenewalOptions = {}): AutoRenewal {
    return new AutoRenewal(this.client.transport, this.device, { clock: this.client.clock, ...options }).start();
  }

  /** The shield state of a group member's credential. */
  verifyPeer(credential: PeerCredentialInput): Promise<PeerVerification> {
    return this.peers.verifyPeer(credential);
  }

  /**
   * For `receiveExternalProposal`: true only when this device's own check (chain, certificate
   * status, key-transparency log) finds the member's credential revoked or expired (the service
   * removes devices whose certificate lapsed past the org's grace). Anything else (valid,
   * unknown) keeps a service Remove out: a forged group report cannot make members evict
   * someone whose certificate is fine, and expiry is read from the certificate itself.
   */
  readonly removedMemberRevoked = async (member: { credential: Credential }): Promise<boolean> => {
    const { state } = await this.peers.verifyPeer(member.credential);
    return state === 'revoked' || state === 'expired';
  };

  /** Devices added, keys changed, devices revoked for `accountId` since the last look. */
  checkAccount(accountId: string): Promise<AccountChanges> {
    return this.accounts.checkAccount(accountId);
  }

  /** Polls `checkAccount` every `intervalMs` (default 60 s) and reports non-empty changes. */
  watchAccount(
    accountId: string,
    options: { intervalMs?: number; onChanges: (changes: AccountChanges) => void; onError?: (error: unknown) => void },
  ): { stop(): void } {
    return this.accounts.watch(accountId, { ...options, clock: this.client.clock });
  }
}
