import { Injectable } from '@nestjs/common';
import type { Credential } from 'ts-mls';
import {
  decodeMlsMessageBytes,
  externalSendersOf,
  inspectKeyPackage,
  MlsGlueError,
  proposalsOfCommit,
  verifyCommitSender,
  type CommittedProposal,
  type InspectedKeyPackage,
  type LeafMember,
} from '#mls';
import { ExternalSenderService, GroupRegistryService, MembershipPolicyService } from '../removals/index.js';
import { commitReasons, senderRefusal, type AddFact, type CommitReason, type ProposalFact } from './commit-authorization.rules.js';
import { MemberJudgeService } from './member-judge.service.js';

export interface CommitDecision {
  allow: boolean;
  reasons: CommitReason[];
  epoch: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * "May this commit be accepted?" for a delivery service, judged against the group's last
 * reported state: this gathers the facts (the commit's proposals, KeyPackages and
 * credentials judged, the roster, room admins, open removals); commit-authorization.rules.ts
 * decides.
 */
@Injectable()
export class CommitAuthorizationService {
  constructor(
    private readonly groups: GroupRegistryService,
    private readonly judge: MemberJudgeService,
    private readonly senders: ExternalSenderService,
    private readonly membership: MembershipPolicyService,
  ) {}

  async authorize(
    orgId: string,
    dsClientId: string,
    groupId: Buffer,
    commitBytes: Uint8Array,
    extraProposals: Uint8Array[],
  ): Promise<CommitDecision> {
    const group = await this.groups.require(orgId, groupId, dsClientId);
    const { row, state } = group;
    const epoch = String(row.epoch);
    const decoded = decodeMlsMessageBytes(commitBytes);

    let committer: LeafMember;
    try {
      committer = await verifyCommitSender(decoded, state);
    } catch (e) {
      if (!(e instanceof MlsGlueError)) throw e;
      return { allow: false, reasons: senderRefusal(e.code === 'ERR_MLS_SIGNATURE_INVALID', e.message), epoch };
    }

    // the group's side of the judgement, read in parallel (separate pool connections)
    const [open, swaps, roomAdmins, ourSender, policy] = await Promise.all([
      this.groups.openRemovals(row.id),
      this.groups.openSwaps(row.id),
      this.groups.roomAdmins(row.id),
      this.senders.listedIn(orgId, state.groupContext),
      this.membership.effective(orgId, row.id),
    ]);
    // during an external-sender rotation the new extensions may list the new sender instead
    const ourKeys = ourSender ? (await this.senders.signingSenders(orgId, row.ciphersuite)).map((s) => s.signatureKey) : [];
    const ourSwaps = new Set(swaps.map((s) => hex(s.proposalRef)));
    const known = [...open.map((r) => new Uint8Array(r.proposal)), ...swaps.map((s) => new Uint8Array(s.proposal)), ...extraProposals];
    const inspected = await proposalsOfCommit(decoded, state.groupContext.cipherSuite, known);
    // the roster is read only at the leaves the commit removes (the rules ask whose they are), not the whole group
    const removedLeaves = inspected.proposals.flatMap((p) =>
      'proposal' in p && p.proposal.proposalType === 'remove' ? [p.proposal.remove.removed] : [],
    );
    const accountAtLeaf = removedLeaves.length > 0 ? await this.groups.leafAccounts(row.id, removedLeaves) : new Map<number, string | null>();

    // KeyPackages of Adds first, so every credential (committer, path, Adds) is judged in one batch
    const keyPackages: ({ index: number; invalid: string } | { index: number; kp: InspectedKeyPackage })[] = [];
    for (const [index, p] of inspected.proposals.entries()) {
      if (!('proposal' in p) || p.proposal.proposalType !== 'add') continue;
      try {
        keyPackages.push({
          index,
          kp: await inspectKeyPackage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: p.proposal.add.keyPackage }),
        });
      } catch (e) {
        if (!(e instanceof MlsGlueError)) throw e;
        keyPackages.push({ index, invalid: e.message });
      }
    }
    const path = inspected.commit.path?.leafNode;
    const toJudge: { credential: Credential; signaturePublicKey: Uint8Array }[] = [committer];
    if (path) toJudge.push({ credential: path.credential, signaturePublicKey: path.signaturePublicKey });
    const valid = keyPackages.flatMap((k) => ('kp' in k ? [k.kp] : []));
    const verdicts = await this.judge.judge(orgId, [...toJudge, ...valid]);
    const addVerdicts = verdicts.slice(toJudge.length);
    let next = 0;
    const adds: AddFact[] = keyPackages.map((k) =>
      'kp' in k
        ? {
            index: k.index,
            suite: k.kp.cipherSuite,
            suiteMatchesGroup: k.kp.cipherSuite === state.groupContext.cipherSuite,
            member: addVerdicts[next++]!,
          }
        : { index: k.index, keyPackageInvalid: k.invalid },
    );

    const reasons = commitReasons({
      epoch,
      committer: { leafIndex: committer.leafIndex, member: verdicts[0]! },
      updatePath: path ? verdicts[1] : undefined,
      adds,
      proposals: inspected.proposals.map((p, index) => proposalFact(p, index, ourKeys, ourSwaps)),
      accountAtLeaf,
      roomAdmins,
      membershipPolicy: policy.membershipPolicy,
      openRemovals: open.map((r) => ({ id: r.id, epoch: r.epoch, leafIndex: r.leafIndex, proposalRef: r.proposalRef.toString('hex') })),
    });
    const allow = reasons.length === 0;
    // Whatever the verdict, this commit is signed by a member of the stored epoch: if the DS
    // applies it, the next report descends from our state through it (RFC 9420 §8.2).
    const referenced = inspected.proposals.flatMap((p) => (p.by === 'reference' && p.resolved ? [known[p.knownIndex]!] : []));
    await this.groups.recordCommit(group, decoded, commitBytes, referenced, allow);
    return { allow, reasons, epoch };
  }
}

/** A committed proposal as the rules see it; whether new extensions still list our sender is decided here (parsing). */
function proposalFact(p: CommittedProposal, index: number, ourKeys: readonly Buffer[], ourSwaps: ReadonlySet<string>): ProposalFact {
  const ref = p.by === 'reference' ? hex(p.ref) : undefined;
  if (p.by === 'reference' && !p.resolved) return { index, ref, kind: 'unresolved' };
  const proposal = p.proposal;
  switch (proposal.proposalType) {
    case 'remove':
      return { index, ref, kind: 'remove', removedLeaf: proposal.remove.removed };
    case 'group_context_extensions': {
      const servicesOwn = ref !== undefined && ourSwaps.has(ref);
      if (ourKeys.length === 0) return { index, ref, kind: 'group_context_extensions', listsService: null, servicesOwn };
      let listsService = false;
      try {
        const listed = externalSendersOf({ extensions: proposal.groupContextExtensions.extensions }) ?? [];
        listsService = listed.some((s) => ourKeys.some((k) => k.equals(Buffer.from(s.signaturePublicKey))));
      } catch {
        listsService = false;
      }
      return { index, ref, kind: 'group_context_extensions', listsService, servicesOwn };
    }
    case 'reinit':
      return { index, ref, kind: 'reinit' };
    default:
      return { index, ref, kind: 'other' };
  }
}
