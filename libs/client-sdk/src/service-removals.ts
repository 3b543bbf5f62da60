// The service as MLS external sender (RFC 9420 §12.1.8.1): the group creator lists it in
// external_senders; when the org deprovisions someone, the service signs external Remove
// proposals (§12.1.3) and one member commits them by reference (§12.4). Members pass each
// external proposal through the receiver guard (group id, epoch, listed sender, signature,
// and the removed member's credential revoked: the service's signature does not cover the
// tree, so only the member's own view says who sits at the leaf) before ts-mls sees it.
import 'reflect-metadata';
import {
  admitExternalRemoveProposal,
  ciphersuiteImpl,
  encodeMlsMessageBytes,
  externalSendersExtension,
  type ExternalProposalRejection,
  type RemovedMemberRevoked,
} from '#mls';
import { validateChain, ChainValidationError, type ValidatedChain } from '#x509-profile';
import { createCommit, type ClientState, type Extension, type ExternalSender, type MLSMessage } from 'ts-mls';
import { bytesEqual, decodeBase64 } from './base64.js';
import { ciphersuiteKeyParams } from './ciphersuite.js';
import { ExternalSenderUntrusted, ResponseMalformed } from './errors.js';
import type { ServiceTransport } from './service-transport.js';
import type { Clock } from './timers.js';
import type { TrustBundle } from './trust-bundle.js';

export interface ServiceExternalSenders {
  readonly ciphersuite: number;
  readonly senders: readonly ExternalSender[];
  /** The GroupContext extension to pass to createGroupWithExternalSenders (RFC list form). */
  readonly extension: Extension;
  readonly notAfter: Date;
}

interface SenderJson {
  ciphersuite?: unknown;
  signatureKey?: unknown;
  chain?: unknown;
  notAfter?: unknown;
}

/**
 * The org's external senders for `ciphersuite` (`GET /v1/orgs/{org}/mls/external-senders`),
 * each checked against the org trust bundle: a chain to the org root naming the org's
 * removal service, whose leaf key is the listed signature key.
 */
export async function fetchExternalSenders(
  transport: ServiceTransport,
  org: string,
  bundle: TrustBundle,
  ciphersuite: number,
  at = new Date(),
): Promise<ServiceExternalSenders> {
  ciphersuiteKeyParams(ciphersuite);
  const answer = await transport.json<{ externalSenders?: SenderJson[] }>('GET', `/v1/orgs/${encodeURIComponent(org)}/mls/external-senders`);
  if (!Array.isArray(answer?.externalSenders)) throw new ResponseMalformed('the external senders answer has no externalSenders list');
  const listed = answer.externalSenders.filter((s) => s?.ciphersuite === ciphersuite);
  if (listed.length === 0) throw new ExternalSenderUntrusted(`the service lists no external sender for cipher suite ${ciphersuite}`);
  const senders: ExternalSender[] = [];
  let notAfter = Infinity;
  for (const s of listed) {
    if (typeof s.signatureKey !== 'string' || !Array.isArray(s.chain) || s.chain.some((c) => typeof c !== 'string')) {
      throw new ResponseMalformed('an external sender lacks signatureKey or chain');
    }
    const signatureKey = decodeBase64(s.signatureKey, 'signatureKey');
    const chain = (s.chain as string[]).map((c, i) => decodeBase64(c, `chain[${i}]`));
    let validated: ValidatedChain;
    try {
      validated = await validateChain(chain, { trustAnchors: bundle.roots, intermediates: bundle.intermediates, at, ciphersuite });
    } catch (e) {
      if (e instanceof ChainValidationError)
        throw new ExternalSenderUntrusted(`the external sender certificate is not valid: ${e.reason}`, { cause: e });
      throw e;
    }
    const id = validated.identity;
    if (id.kind !== 'service' || id.service !== 'removal' || id.org !== org) {
      throw new ExternalSenderUntrusted("the external sender certificate does not name this org's removal service");
    }
    if (!bytesEqual(validated.leafKey.rawKey, signatureKey)) throw new ExternalSenderUntrusted('the listed signature key is not the certified key');
    senders.push({ signaturePublicKey: signatureKey, credential: { credentialType: 'x509', certificates: chain } } as ExternalSender);
    notAfter = Math.min(notAfter, validated.validUntil.getTime());
  }
  return { ciphersuite, senders, extension: externalSendersExtension(senders), notAfter: new Date(notAfter) };
}

/**
 * Who commits pending service removals, so that not every member races to do it:
 * - `lowest-admin-online`: the online room admin with the lowest leaf index commits at once;
 *   when no admin is online, every member falls back to a jittered delay;
 * - `any-member-after-delay`: every member waits a random delay in [minDelayMs, maxDelayMs]
 *   and commits unless another member's Commit arrived first (the app then cancels).
 */
export type RemovalCommitPolicy =
  | {
      kind: 'lowest-admin-online';
      isAdmin: (leafIndex: number) => boolean;
      isOnline: (leafIndex: number) => boolean;
      fallbackMinDelayMs?: number;
      fallbackMaxDelayMs?: number;
    }
  | { kind: 'any-member-after-delay'; minDelayMs: number; maxDelayMs: number };

const DEFAULT_FALLBACK_MIN_MS = 30_000;
const DEFAULT_FALLBACK_MAX_MS = 120_000;

/** Leaf indexes of the group's members that are not about to be removed. */
function remainingMembers(state: ClientState): number[] {
  const removed = new Set<number>();
  for (const p of Object.values(state.unappliedProposals)) {
    if (p.proposal.proposalType === 'remove') removed.add(p.proposal.remove.removed);
  }
  const out: number[] = [];
  for (let node = 0; node < state.ratchetTree.length; node += 2) {
    const n = state.ratchetTree[node];
    if (n && n.nodeType === 'leaf' && !removed.has(node / 2)) out.push(node / 2);
  }
  return out;
}

function jitter(min: number, max: number, random: () => number): number {
  return Math.round(min + (Math.max(max, min) - min) * random());
}

/**
 * Whether this member should commit the pending removals: milliseconds to wait first (0 =
 * now), or null when another member is the one to commit.
 */
export function removalCommitDelay(state: ClientState, policy: RemovalCommitPolicy, random: () => number = Math.random): number | null {
  const own = state.privatePath.leafIndex;
  const members = remainingMembers(state);
  if (!members.includes(own)) return null;
  if (policy.kind === 'any-member-after-delay') return jitter(policy.minDelayMs, policy.maxDelayMs, random);
  const admins = members.filter((leaf) => policy.isAdmin(leaf) && (leaf === own || policy.isOnline(leaf)));
  if (admins.length > 0) return admins[0] === own ? 0 : null;
  return jitter(policy.fallbackMinDelayMs ?? DEFAULT_FALLBACK_MIN_MS, policy.fallbackMaxDelayMs ?? DEFAULT_FALLBACK_MAX_MS, random);
}

export type ExternalProposalOutcome =
  | { admitted: true; state: ClientState; proposalRef: Uint8Array; removedLeafIndex: number; commitInMs: number | null }
  | { admitted: false; reason: ExternalProposalRejection; detail: string };

/**
 * Takes an external proposal in: the receiver guard first (a cross-group, past- or
 * future-epoch, unlisted-sender or forged proposal, or one removing a member whose credential
 * `removedMemberRevoked` does not confirm revoked, is refused and the state is unchanged),
 * then ts-mls stores it as pending; `commitInMs` says whether and when this member commits.
 * `DeviceSession.removedMemberRevoked` asks the service's certificate status.
 */
export async function receiveExternalProposal(
  state: ClientState,
  message: Uint8Array | MLSMessage,
  policy: RemovalCommitPolicy,
  removedMemberRevoked: RemovedMemberRevoked,
  random?: () => number,
): Promise<ExternalProposalOutcome> {
  const admission = await admitExternalRemoveProposal(state, message, removedMemberRevoked);
  if (!admission.admitted) return admission;
  return { ...admission, commitInMs: removalCommitDelay(admission.state, policy, random) };
}

export interface RemovalCommit {
  /** The Commit (MLSMessage bytes) to send through the delivery service. */
  commit: Uint8Array;
  /** For members joining in the same Commit, if any. */
  welcome?: unknown;
  newState: ClientState;
  /** Leaf indexes removed by this Commit. */
  removed: number[];
}

/**
 * Commits every pending proposal (the service's Removes among them) by reference (§12.4). The
 * Commit is a PublicMessage by default: the delivery service asks the identity service about it
 * (commit authorization), and the service trusts the group's next report only when it has seen
 * the commit that produced it (RFC 9420 §8.2); an encrypted commit cannot be followed.
 */
export async function commitPendingRemovals(state: ClientState, options: { wireAsPublicMessage?: boolean } = {}): Promise<RemovalCommit> {
  const removed = Object.values(state.unappliedProposals)
    .filter((p) => p.proposal.proposalType === 'remove')
    .map((p) => (p.proposal as { remove: { removed: number } }).remove.removed);
  const cs = await ciphersuiteImpl(state.groupContext.cipherSuite);
  const result = await createCommit({ state, cipherSuite: cs }, { wireAsPublicMessage: options.wireAsPublicMessage ?? true });
  return { commit: encodeMlsMessageBytes(result.commit), ...(result.welcome && { welcome: result.welcome }), newState: result.newState, removed };
}

/**
 * Runs one pending commit per group after its delay; an app cancels it when another
 * member's Commit for the group arrives first (that Commit resolves the same proposals).
 */
export class RemovalCommitScheduler {
  private readonly pending = new Map<string, () => void>();

  constructor(private readonly clock: Clock) {}

  schedule(groupKey: string, delayMs: number, commit: () => Promise<void> | void): void {
    this.cancel(groupKey);
    const cancel = this.clock.setTimer(() => {
      this.pending.delete(groupKey);
      void commit();
    }, delayMs);
    this.pending.set(groupKey, cancel);
  }

  cancel(groupKey: string): void {
    this.pending.get(groupKey)?.();
    this.pending.delete(groupKey);
  }

  has(groupKey: string): boolean {
    return this.pending.has(groupKey);
  }
}
