import type { MembershipPolicy } from '../removals/index.js';
import type { CommitReasonCode, MemberReason } from './delivery.reasons.js';

export interface CommitReason {
  code: CommitReasonCode;
  detail: string;
}

/** A credential judged by the member rules: whose it is and what is wrong with it. */
export interface JudgedMember {
  accountId?: string;
  reasons: readonly MemberReason[];
}

/** One Add by order in the commit: its KeyPackage did not verify, or it did and its member was judged. */
export type AddFact =
  { index: number; keyPackageInvalid: string } | { index: number; suite: string; suiteMatchesGroup: boolean; member: JudgedMember };

/** One entry of the commit's proposal list, reduced to what the rules look at. */
export type ProposalFact = {
  index: number;
  /** Hex ProposalRef when the commit names the proposal by reference. */
  ref?: string;
} & (
  | { kind: 'unresolved' }
  | { kind: 'remove'; removedLeaf: number }
  /**
   * `listsService`: the new extensions still list one of the service's senders (null: the group
   * never listed it); `servicesOwn`: it is the service's own external-sender swap proposal.
   */
  | { kind: 'group_context_extensions'; listsService: boolean | null; servicesOwn?: boolean }
  | { kind: 'reinit' }
  | { kind: 'other' }
);

/** A removal the service proposed and still waits for. */
export interface OpenRemovalFact {
  id: string;
  epoch: string;
  leafIndex: number;
  /** Hex ProposalRef. */
  proposalRef: string;
}

/** Everything a commit is judged on, as plain data (gathered by CommitAuthorizationService). */
export interface CommitFacts {
  /** The group's registered epoch. */
  epoch: string;
  committer: { leafIndex: number; member: JudgedMember };
  /** The committer's new leaf when the commit has an UpdatePath. */
  updatePath?: JudgedMember;
  adds: readonly AddFact[];
  proposals: readonly ProposalFact[];
  /** Account of each occupied leaf as registered (null: not one of our devices). */
  accountAtLeaf: ReadonlyMap<number, string | null>;
  roomAdmins: readonly string[];
  /** Who may add members: the group's own policy, else the org default. */
  membershipPolicy: MembershipPolicy;
  openRemovals: readonly OpenRemovalFact[];
}

/** An undecodable or misdirected commit: nothing else can be judged. */
export function senderRefusal(signatureInvalid: boolean, detail: string): CommitReason[] {
  return [{ code: signatureInvalid ? 'commit_signature_invalid' : 'commit_not_applicable', detail }];
}

/**
 * The commit authorization rules. The committer's credential is valid; every Add's KeyPackage
 * is valid, of the group's suite, and its member valid; an UpdatePath keeps the leaf with its
 * account; Removes of others, GroupContextExtensions and ReInit need the committer's account
 * to be a room admin, except Removes and external-sender swaps that are the service's own proposals and a member
 * removing its own other devices; under the `admins-only` membership policy so do Adds,
 * except a member adding its own account's devices; the extensions may not drop the service as external
 * sender; the service's removals for this epoch must be included. Every broken rule is a
 * reason (in this order), so a DS learns everything wrong at once.
 */
export function commitReasons(f: CommitFacts): CommitReason[] {
  const reasons: CommitReason[] = [];
  const deny = (code: CommitReasonCode, detail: string) => reasons.push({ code, detail });

  for (const add of f.adds) {
    if ('keyPackageInvalid' in add) deny('add_key_package_invalid', `proposal ${add.index}: ${add.keyPackageInvalid}`);
    else if (!add.suiteMatchesGroup) deny('add_ciphersuite_mismatch', `proposal ${add.index}: KeyPackage suite ${add.suite}`);
  }
  const committer = f.committer.member;
  for (const r of committer.reasons) deny(`committer_${r}`, `the committer at leaf ${f.committer.leafIndex}: ${r}`);
  if (f.updatePath) {
    for (const r of f.updatePath.reasons) deny(`update_path_${r}`, `the committer's new leaf credential: ${r}`);
    if (f.updatePath.accountId && committer.accountId && f.updatePath.accountId !== committer.accountId) {
      deny('update_path_changes_account', 'an UpdatePath may not hand the leaf to another account');
    }
  }
  for (const add of f.adds) {
    if ('keyPackageInvalid' in add) continue;
    for (const r of add.member.reasons) deny(`add_${r}`, `the member added by proposal ${add.index}: ${r}`);
  }

  const committerAccount = committer.accountId ?? null;
  const isAdmin = committerAccount !== null && f.roomAdmins.includes(committerAccount);
  if (f.membershipPolicy === 'admins-only' && !isAdmin) {
    for (const add of f.adds) {
      // an Add whose KeyPackage did not verify names no account: it cannot be the committer's own
      const ownDevice = 'member' in add && committerAccount !== null && add.member.accountId === committerAccount;
      if (!ownDevice) deny('add_requires_room_admin', `proposal ${add.index}: the group's membership policy is admins-only`);
    }
  }
  const ours = new Set(f.openRemovals.map((r) => r.proposalRef));
  const removedLeaves = new Set<number>();
  const includedRefs = new Set<string>();
  for (const p of f.proposals) {
    if (p.ref !== undefined) includedRefs.add(p.ref);
    switch (p.kind) {
      case 'unresolved':
        deny('unresolved_proposal_reference', `proposal ${p.index} references a proposal the service was not given`);
        break;
      case 'remove': {
        removedLeaves.add(p.removedLeaf);
        const servicesOwn = p.ref !== undefined && ours.has(p.ref);
        const ownDevice = committerAccount !== null && f.accountAtLeaf.get(p.removedLeaf) === committerAccount;
        if (!servicesOwn && !ownDevice && !isAdmin) {
          deny('remove_requires_room_admin', `removing the member at leaf ${p.removedLeaf} needs a room admin`);
        }
        break;
      }
      case 'group_context_extensions':
        // the service's own swap (external-sender rotation) is committed by any member, like its Removes
        if (!isAdmin && !p.servicesOwn) deny('extensions_require_room_admin', 'changing the group context extensions needs a room admin');
        if (p.listsService === false) deny('external_senders_drops_service', 'the new extensions no longer list the service as external sender');
        break;
      case 'reinit':
        if (!isAdmin) deny('reinit_requires_room_admin', 're-initializing the group needs a room admin');
        break;
      case 'other':
        break;
    }
  }

  for (const r of f.openRemovals) {
    if (r.epoch !== f.epoch) continue;
    if (!includedRefs.has(r.proposalRef) && !removedLeaves.has(r.leafIndex)) {
      deny('pending_removal_not_included', `removal ${r.id} of the member at leaf ${r.leafIndex} must be committed`);
    }
  }
  return reasons;
}
