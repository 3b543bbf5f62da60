import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Credential } from 'ts-mls';
import {
  decodeMlsMessageBytes,
  externalSendersOf,
  inspectKeyPackage,
  MlsGlueError,
  proposalsOfCommit,
  verifyCommitSender,
  type CommittedProposal,
  type LeafMember,
} from '#mls';
import { ExternalSenderService } from '../removals/external-sender.service.js';
import { GroupRegistryService } from '../removals/group-registry.service.js';
import { withMlsProblems } from '../removals/mls-problem.js';
import { MemberJudgeService } from './member-judge.service.js';

export interface CommitReason {
  code: string;
  detail: string;
}

export interface CommitDecision {
  allow: boolean;
  reasons: CommitReason[];
  epoch: string;
}

interface OpenRemoval {
  id: string;
  epoch: string;
  leaf_index: number;
  proposal: Buffer;
  proposal_ref: Buffer;
}

/**
 * "May this commit be accepted?" for a delivery service, judged against the group's last
 * reported state. Rules: the committer's credential is valid; every Add's KeyPackage is
 * valid and its account active; Removes of others and GroupContextExtensions need the
 * committer's account to be a room admin, except Removes that are the service's own
 * proposals and a member removing its own other devices; external_senders may not drop the
 * service; the group's pending removals for this epoch must be included. Every broken rule
 * is a reason, so a DS (and its users) learn everything wrong at once.
 */
@Injectable()
export class CommitAuthorizationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groups: GroupRegistryService,
    private readonly judge: MemberJudgeService,
    private readonly senders: ExternalSenderService,
  ) {}

  async authorize(orgId: string, groupId: Buffer, commitBytes: Uint8Array, extraProposals: Uint8Array[]): Promise<CommitDecision> {
    const { row, state } = await this.groups.require(orgId, groupId);
    const epoch = String(row.epoch);
    const reasons: CommitReason[] = [];
    const deny = (code: string, detail: string) => reasons.push({ code, detail });
    const decoded = await withMlsProblems(async () => decodeMlsMessageBytes(commitBytes));

    let committer: LeafMember;
    try {
      committer = await verifyCommitSender(decoded, state);
    } catch (e) {
      if (!(e instanceof MlsGlueError)) throw e;
      // an undecodable or misdirected commit: nothing else can be judged
      return { allow: false, reasons: [{ code: e.code === 'ERR_MLS_SIGNATURE_INVALID' ? 'commit_signature_invalid' : 'commit_not_applicable', detail: e.message }], epoch };
    }

    // the group's side of the judgement, read in parallel (separate pool connections)
    const [open, roster, adminList, ourSender] = await Promise.all([
      this.dataSource.query(
        `SELECT id, epoch, leaf_index, proposal, proposal_ref FROM removal WHERE group_ref = $1 AND status IN ('pending', 'delivered')`,
        [row.id],
      ) as Promise<OpenRemoval[]>,
      this.dataSource.query(`SELECT leaf_index, account_id FROM mls_group_member WHERE group_ref = $1`, [row.id]) as Promise<
        { leaf_index: number; account_id: string | null }[]
      >,
      this.groups.roomAdmins(row.id),
      this.senders.listedIn(orgId, state.groupContext),
    ]);
    const ours = new Set(open.map((r) => r.proposal_ref.toString('hex')));
    const inspected = await withMlsProblems(() =>
      proposalsOfCommit(decoded, state.groupContext.cipherSuite, [...open.map((r) => new Uint8Array(r.proposal)), ...extraProposals]),
    );

    const accountAt = new Map(roster.map((r) => [r.leaf_index, r.account_id]));

    // KeyPackages of Adds first, so every credential (committer, path, Adds) is judged in one batch
    const addsJudged: { index: number; credential: Credential; signaturePublicKey: Uint8Array }[] = [];
    for (const [index, p] of inspected.proposals.entries()) {
      if (!('proposal' in p) || p.proposal.proposalType !== 'add') continue;
      try {
        const kp = await inspectKeyPackage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: p.proposal.add.keyPackage });
        if (kp.cipherSuite !== state.groupContext.cipherSuite) deny('add_ciphersuite_mismatch', `proposal ${index}: KeyPackage suite ${kp.cipherSuite}`);
        addsJudged.push({ index, credential: kp.credential, signaturePublicKey: kp.signaturePublicKey });
      } catch (e) {
        if (!(e instanceof MlsGlueError)) throw e;
        deny('add_key_package_invalid', `proposal ${index}: ${e.message}`);
      }
    }
    const path = inspected.commit.path?.leafNode;
    const toJudge: { credential: Credential; signaturePublicKey: Uint8Array }[] = [committer];
    if (path) toJudge.push({ credential: path.credential, signaturePublicKey: path.signaturePublicKey });
    const verdicts = await this.judge.judge(orgId, [...toJudge, ...addsJudged]);
    const committerVerdict = verdicts[0]!;
    const pathVerdict = path ? verdicts[1] : undefined;
    for (const r of committerVerdict.reasons) deny(`committer_${r}`, `the committer at leaf ${committer.leafIndex}: ${r}`);
    if (pathVerdict) {
      for (const r of pathVerdict.reasons) deny(`update_path_${r}`, `the committer's new leaf credential: ${r}`);
      if (pathVerdict.accountId && committerVerdict.accountId && pathVerdict.accountId !== committerVerdict.accountId) {
        deny('update_path_changes_account', 'an UpdatePath may not hand the leaf to another account');
      }
    }
    verdicts.slice(toJudge.length).forEach((v, k) => {
      for (const r of v.reasons) deny(`add_${r}`, `the member added by proposal ${addsJudged[k]!.index}: ${r}`);
    });
    const committerAccount = committerVerdict.accountId ?? null;
    const isAdmin = committerAccount !== null && adminList.includes(committerAccount);

    const removedLeaves = new Set<number>();
    const includedRefs = new Set<string>();
    inspected.proposals.forEach((p: CommittedProposal, index) => {
      if (p.by === 'reference') includedRefs.add(Buffer.from(p.ref).toString('hex'));
      if (p.by === 'reference' && !p.resolved) {
        deny('unresolved_proposal_reference', `proposal ${index} references a proposal the service was not given`);
        return;
      }
      const proposal = p.proposal;
      switch (proposal.proposalType) {
        case 'remove': {
          const leaf = proposal.remove.removed;
          removedLeaves.add(leaf);
          const servicesOwn = p.by === 'reference' && ours.has(Buffer.from(p.ref).toString('hex'));
          const ownDevice = committerAccount !== null && accountAt.get(leaf) === committerAccount;
          if (!servicesOwn && !ownDevice && !isAdmin) {
            deny('remove_requires_room_admin', `removing the member at leaf ${leaf} needs a room admin`);
          }
          break;
        }
        case 'group_context_extensions': {
          if (!isAdmin) deny('extensions_require_room_admin', 'changing the group context extensions needs a room admin');
          if (ourSender) {
            let still = false;
            try {
              const listed = externalSendersOf({ extensions: proposal.groupContextExtensions.extensions }) ?? [];
              still = listed.some((s) => ourSender.signatureKey.equals(Buffer.from(s.signaturePublicKey)));
            } catch {
              still = false;
            }
            if (!still) deny('external_senders_drops_service', 'the new extensions no longer list the service as external sender');
          }
          break;
        }
        case 'reinit':
          if (!isAdmin) deny('reinit_requires_room_admin', 're-initializing the group needs a room admin');
          break;
        default:
          break;
      }
    });

    for (const r of open) {
      if (r.epoch !== epoch) continue;
      if (!includedRefs.has(r.proposal_ref.toString('hex')) && !removedLeaves.has(r.leaf_index)) {
        deny('pending_removal_not_included', `removal ${r.id} of the member at leaf ${r.leaf_index} must be committed`);
      }
    }
    return { allow: reasons.length === 0, reasons, epoch };
  }
}
