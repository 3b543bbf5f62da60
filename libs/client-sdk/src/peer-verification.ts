// verifyPeer: the "verified / degraded" shield for a group member's MLS credential.
import 'reflect-metadata';
import type { Credential } from 'ts-mls';
import { decodeX509Credential, MlsGlueError } from '#mls';
import { ChainValidationError, validateChain, type DeviceClientIdentity } from '#x509-profile';
import { encodeHex } from './base64.js';
import type { SigningDevice } from './device-request-signature.js';
import { ClientSdkError, CredentialUnreadable, LogInconsistent, LogVerificationFailed, ServiceRefusal } from './errors.js';
import { combineFindings, logFinding, statusFinding, type Finding, type PeerState } from './peer-verdict.js';
import type { ServiceTransport } from './service-transport.js';
import { readJson, writeJson, type SdkStorage } from './storage.js';
import type { Clock } from './timers.js';
import type { TransparencyLog } from './transparency-log.js';
import type { TrustBundleCache } from './trust-bundle.js';
import { sha256 } from './web-crypto.js';

export type { PeerState } from './peer-verdict.js';

/** RFC 9420 Credential bytes, a ts-mls Credential, or the DER chain (leaf first). */
export type PeerCredentialInput = Uint8Array | Credential | readonly Uint8Array[];

export interface PeerVerification {
  readonly state: PeerState;
  /** Machine-readable: e.g. `in_log`, `keyCompromise`, `account_deprovisioned`, `untrusted_issuer`, `not_in_log`. */
  readonly reason: string;
  /** When this device first saw the peer certificate in its current state. */
  readonly since: Date;
  readonly checkedAt: Date;
  /** Hex SHA-256 of the leaf certificate. */
  readonly certificateSha256?: string;
  /** Who the certificate names (when it parsed and chained to the org). */
  readonly identity?: DeviceClientIdentity;
  /** Index of the certificate's issuance entry in the org log. */
  readonly logIndex?: number;
  /** Every finding, in the order gathered: chain, status, log. */
  readonly findings: readonly Finding[];
}

export interface PeerVerifierDeps {
  transport: ServiceTransport;
  device: () => SigningDevice;
  trustBundle: TrustBundleCache;
  log: TransparencyLog;
  storage: SdkStorage;
  clock: Clock;
  org: string;
  crypto?: Crypto;
}

function chainOf(input: PeerCredentialInput): Uint8Array[] {
  if (input instanceof Uint8Array) return decodeX509Credential(input);
  if (Array.isArray(input)) return input.map((c) => new Uint8Array(c));
  const credential = input as Credential;
  if (credential.credentialType !== 'x509') throw new CredentialUnreadable('the credential is not an x509 credential');
  return (credential as { certificates: Uint8Array[] }).certificates.map((c) => new Uint8Array(c));
}

export class PeerVerifier {
  constructor(private readonly deps: PeerVerifierDeps) {}

  async verifyPeer(input: PeerCredentialInput): Promise<PeerVerification> {
    const now = new Date(this.deps.clock.now());
    let chain: Uint8Array[];
    try {
      chain = chainOf(input);
      if (chain.length === 0) throw new CredentialUnreadable('empty chain');
    } catch (e) {
      if (e instanceof MlsGlueError || e instanceof ClientSdkError)
        return this.settle(undefined, [{ state: 'unknown', reason: 'malformed_credential' }], now);
      throw e;
    }
    const sha = encodeHex(await sha256(chain[0]!, this.deps.crypto));
    const findings: Finding[] = [];
    const identity = await this.checkChain(chain, now, findings);
    let logIndex: number | undefined;
    if (identity) {
      findings.push(await this.checkStatus(sha));
      const logged = await this.checkLog(identity, sha);
      findings.push(logged);
      logIndex = logged.issuedAt;
    }
    return this.settle(sha, findings, now, identity, logIndex);
  }

  private async checkChain(chain: Uint8Array[], now: Date, findings: Finding[]): Promise<DeviceClientIdentity | undefined> {
    const attempt = async () => {
      const bundle = await this.deps.trustBundle.get();
      return validateChain(chain, { trustAnchors: bundle.roots, intermediates: bundle.intermediates, at: now });
    };
    let validated;
    try {
      try {
        validated = await attempt();
      } catch (e) {
        // a root or intermediate rotated since the bundle was cached: look once more
        if (!(e instanceof ChainValidationError && e.reason === 'untrusted_issuer')) throw e;
        this.deps.trustBundle.invalidate();
        validated = await attempt();
      }
    } catch (e) {
      if (e instanceof ChainValidationError) {
        findings.push({ state: e.reason === 'expired' ? 'expired' : e.reason === 'revoked' ? 'revoked' : 'unknown', reason: e.reason });
        return undefined;
      }
      if (e instanceof ClientSdkError) {
        findings.push({ state: 'unknown', reason: 'trust_bundle_unavailable' });
        return undefined;
      }
      throw e;
    }
    if (validated.identity.kind !== 'device' || validated.identity.org !== this.deps.org) {
      findings.push({ state: 'unknown', reason: validated.identity.kind !== 'device' ? 'not_a_device' : 'another_org' });
      return undefined;
    }
    findings.push({ state: 'verified', reason: 'chain_valid' });
    return validated.identity as DeviceClientIdentity;
  }

  private async checkStatus(sha: string): Promise<Finding> {
    try {
      const answer = await this.deps.transport.json<{ results?: { status?: unknown; reason?: unknown }[] }>('POST', '/v1/certificates/status', {
        body: { fingerprints: [sha] },
        device: this.deps.device(),
      });
      const result = Array.isArray(answer?.results) ? answer.results[0] : undefined;
      return result ? statusFinding(result) : { state: 'unknown', reason: 'status_malformed' };
    } catch (e) {
      if (e instanceof ServiceRefusal) return { state: 'unknown', reason: e.reason ? `status_refused_${e.reason}` : 'status_refused' };
      if (e instanceof ClientSdkError) return { state: 'unknown', reason: 'status_unavailable' };
      throw e;
    }
  }

  private async checkLog(identity: DeviceClientIdentity, sha: string): Promise<Finding & { issuedAt?: number }> {
    try {
      const history = await this.deps.log.accountHistory(identity.accountId);
      return logFinding(history.entries, { sha256: sha, deviceId: identity.deviceId });
    } catch (e) {
      if (e instanceof LogInconsistent) return { state: 'log-inconsistent', reason: 'checkpoint_inconsistent' };
      if (e instanceof LogVerificationFailed) return { state: 'log-inconsistent', reason: 'log_proof_invalid' };
      if (e instanceof ClientSdkError) return { state: 'unknown', reason: 'log_unavailable' };
      throw e;
    }
  }

  private async settle(
    sha: string | undefined,
    findings: Finding[],
    now: Date,
    identity?: DeviceClientIdentity,
    logIndex?: number,
  ): Promise<PeerVerification> {
    const verdict = combineFindings(findings);
    const reason = verdict.state === 'verified' ? (logIndex !== undefined ? 'in_log' : verdict.reason) : verdict.reason;
    let since = now;
    if (sha) {
      const key = `mls-identity/peer/${this.deps.org}/${sha}`;
      const before = await readJson<{ state: PeerState; since: string }>(this.deps.storage, key);
      if (before?.state === verdict.state && !Number.isNaN(Date.parse(before.since))) since = new Date(before.since);
      else await writeJson(this.deps.storage, key, { state: verdict.state, since: now.toISOString() });
    }
    return {
      state: verdict.state,
      reason,
      since,
      checkedAt: now,
      findings,
      ...(sha && { certificateSha256: sha }),
      ...(identity && { identity }),
      ...(logIndex !== undefined && { logIndex }),
    };
  }
}
