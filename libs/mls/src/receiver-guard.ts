// Checks a receiver applies to an external Remove proposal BEFORE giving it to ts-mls.
// ts-mls 1.6.4 processes an external proposal whose group_id is another group's or whose
// epoch is in the future (a Remove signed for group A was committed in group B and removed the
// wrong member), and cannot find the sender's key in an RFC-list external_senders extension.
// Rules: RFC 9420 §6 (sender, group_id, epoch), §6.1 (signature over FramedContentTBS),
// §12.1.8.1 (sender_index into external_senders), §12.1.3 (Remove of a member leaf).
// An external sender's signature covers group_id, epoch and the removed leaf index, never the
// tree (§6.1: no GroupContext in FramedContentTBS for external senders), so a validly signed
// Remove says nothing about WHO sits at that leaf in this member's tree. Defence in depth: the
// member also asks whether the credential at that leaf is revoked (its own view, §5.3.1).
import type { AuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import type { ExternalSender, GroupContext, MLSMessage, ProposalRemove, RatchetTree } from 'ts-mls';
import { verifyFramedContentSignature } from 'ts-mls/framedContent.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsDecodeError } from './errors.js';
import { externalSendersOf } from './external-senders.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { leafNodeAt, memberAt, type LeafMember } from './ratchet-tree.js';

export type ExternalProposalRejection =
  | 'malformed_message'
  | 'not_public_message'
  | 'not_proposal'
  | 'sender_not_external'
  | 'group_has_no_external_senders'
  | 'sender_index_out_of_range'
  | 'group_id_mismatch'
  | 'epoch_mismatch'
  | 'signature_invalid'
  | 'not_remove'
  | 'removed_leaf_not_member'
  | 'removed_leaf_not_revoked'
  | 'removed_leaf_status_unknown';

/**
 * Whether the credential of the member a Remove names is revoked, as the receiver learns it
 * (the issuer's certificate status API or CRL). Throwing means "cannot tell now".
 */
export type RemovedMemberRevoked = (member: LeafMember) => Promise<boolean>;

/** The receiver's view of its group: its current GroupContext and ratchet tree. */
export interface GuardedGroup {
  groupContext: GroupContext;
  ratchetTree: RatchetTree;
}

export type ExternalProposalVerdict =
  | {
      accepted: true;
      senderIndex: number;
      externalSender: ExternalSender;
      removedLeafIndex: number;
      /** what ts-mls stores as the proposal (and hashes into its ProposalRef, §5.2) */
      authenticatedContent: AuthenticatedContent & { content: { contentType: 'proposal'; proposal: ProposalRemove } };
    }
  | { accepted: false; reason: ExternalProposalRejection; detail: string };

function reject(reason: ExternalProposalRejection, detail: string): ExternalProposalVerdict {
  return { accepted: false, reason, detail };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Never throws for bad input: every failure is a verdict with a reason. With
 * `removedMemberRevoked`, a Remove is accepted only for a member whose credential is revoked.
 */
export async function checkExternalRemoveProposal(
  message: Uint8Array | MLSMessage,
  group: GuardedGroup,
  options: { removedMemberRevoked?: RemovedMemberRevoked } = {},
): Promise<ExternalProposalVerdict> {
  let decoded: MLSMessage;
  try {
    decoded = message instanceof Uint8Array ? decodeMlsMessageBytes(message) : message;
  } catch (e) {
    return reject('malformed_message', e instanceof Error ? e.message : 'undecodable');
  }
  if (decoded.wireformat !== 'mls_public_message') return reject('not_public_message', decoded.wireformat);
  const { content, auth } = decoded.publicMessage;
  if (content.contentType !== 'proposal') return reject('not_proposal', content.contentType);
  if (content.sender.senderType !== 'external') return reject('sender_not_external', content.sender.senderType);

  const { groupContext } = group;
  if (!bytesEqual(content.groupId, groupContext.groupId)) {
    return reject('group_id_mismatch', 'proposal is for another group');
  }
  if (content.epoch !== groupContext.epoch) {
    return reject('epoch_mismatch', `proposal epoch ${content.epoch}, group epoch ${groupContext.epoch}`);
  }

  let senders: ExternalSender[] | undefined;
  try {
    senders = externalSendersOf(groupContext);
  } catch (e) {
    if (!(e instanceof MlsDecodeError)) throw e;
    return reject('group_has_no_external_senders', e.message);
  }
  if (senders === undefined || senders.length === 0) {
    return reject('group_has_no_external_senders', 'GroupContext lists no external sender');
  }
  const senderIndex = content.sender.senderIndex;
  const externalSender = senders[senderIndex];
  if (externalSender === undefined) {
    return reject('sender_index_out_of_range', `sender_index ${senderIndex}, ${senders.length} listed`);
  }

  // the group's own ciphersuite: if it is unsupported that is the caller's problem, so it throws
  const cs = await ciphersuiteImpl(groupContext.cipherSuite);
  let signatureValid = false;
  try {
    signatureValid = await verifyFramedContentSignature(
      externalSender.signaturePublicKey,
      'mls_public_message',
      content,
      auth,
      groupContext,
      cs.signature,
    );
  } catch {
    // a malformed signature or key makes the verifier throw; it is simply not a valid signature
    signatureValid = false;
  }
  if (!signatureValid) return reject('signature_invalid', `not signed by external sender ${senderIndex}`);

  const proposal = content.proposal;
  if (proposal.proposalType !== 'remove') return reject('not_remove', String(proposal.proposalType));
  const removedLeafIndex = proposal.remove.removed;
  if (leafNodeAt(group.ratchetTree, removedLeafIndex) === undefined) {
    return reject('removed_leaf_not_member', `leaf ${removedLeafIndex} is blank or outside the tree`);
  }
  if (options.removedMemberRevoked) {
    let revoked: boolean;
    try {
      revoked = await options.removedMemberRevoked(memberAt(group.ratchetTree, removedLeafIndex));
    } catch (e) {
      return reject(
        'removed_leaf_status_unknown',
        `the status of leaf ${removedLeafIndex}'s credential is unknown: ${e instanceof Error ? e.message : e}`,
      );
    }
    if (!revoked) return reject('removed_leaf_not_revoked', `the credential at leaf ${removedLeafIndex} is not revoked`);
  }
  return {
    accepted: true,
    senderIndex,
    externalSender,
    removedLeafIndex,
    authenticatedContent: {
      wireformat: 'mls_public_message',
      content: { ...content, contentType: 'proposal', proposal },
      auth,
    },
  };
}
