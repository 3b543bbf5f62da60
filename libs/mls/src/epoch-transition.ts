// RFC 9420 §12.4.2 (applying a Commit), §12.3 (proposal order: GroupContextExtensions, Update,
// Remove, Add), §7.5/§7.9 (UpdatePath and parent hashes), §7.8 (tree hash) and §8.2 (transcript
// hashes): what an observer that holds a group's PUBLIC state at epoch n can compute of epoch
// n+1 from the PublicMessage Commit that produced it. The GroupContext it yields binds the new
// tree (tree_hash) and the commit (confirmed_transcript_hash); a reported GroupInfo for epoch
// n+1 whose GroupContext is byte-identical descends from the trusted epoch-n state through
// that commit. Secrets are not needed: epoch secrets and the confirmation tag's key are not
// inputs of the GroupContext.
import type { Extension, GroupContext, LeafNode, MLSMessage, RatchetTree } from 'ts-mls';
import { nextEpochContext } from 'ts-mls/clientState.js';
import { createConfirmedHash, createInterimHash } from 'ts-mls/transcriptHash.js';
import { addLeafNode, removeLeafNode, updateLeafNode } from 'ts-mls/ratchetTree.js';
import { applyUpdatePath } from 'ts-mls/updatePath.js';
import type { CommittedProposal } from './commit.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { encodeGroupContextBytes } from './group-context.js';
import { MlsUnexpectedContentError } from './errors.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { leafNodeAt } from './ratchet-tree.js';
import { memoisedTreeHashRoot } from './tree-hash.js';

/** A group's public state at one epoch: what a verified GroupInfo carries. */
export interface PublicEpochState {
  groupContext: GroupContext;
  ratchetTree: RatchetTree;
  /** The epoch's confirmation_tag (§8.2; in its GroupInfo and in the Commit that opened it). */
  confirmationTag: Uint8Array;
}

type LeafIndex = Parameters<typeof updateLeafNode>[2];
const leafIndex = (n: number) => n as LeafIndex;

/**
 * The public state of epoch n+1 after `commitMessage` (a PublicMessage Commit by a member,
 * already verified against `state` with verifyCommitSender) with its proposals as
 * proposalsOfCommit resolved them. Throws MlsUnexpectedContentError when the next state cannot
 * be computed from outside (unresolved references, an external commit, an invalid UpdatePath).
 */
export async function nextPublicEpoch(
  state: PublicEpochState,
  commitMessage: Uint8Array | MLSMessage,
  proposals: readonly CommittedProposal[],
): Promise<PublicEpochState> {
  const decoded = commitMessage instanceof Uint8Array ? decodeMlsMessageBytes(commitMessage) : commitMessage;
  if (decoded.wireformat !== 'mls_public_message') throw new MlsUnexpectedContentError('only a PublicMessage commit can be followed from outside');
  const { content, auth } = decoded.publicMessage;
  if (content.contentType !== 'commit' || auth.contentType !== 'commit') throw new MlsUnexpectedContentError('not a commit');
  if (content.sender.senderType !== 'member') throw new MlsUnexpectedContentError(`commit sender is ${content.sender.senderType}, not a member`);
  if (content.epoch !== state.groupContext.epoch) throw new MlsUnexpectedContentError('commit is for another epoch than the state');
  const committer = content.sender.leafIndex;

  const updates: { sender: number; leafNode: LeafNode }[] = [];
  const removes: number[] = [];
  const adds: LeafNode[] = [];
  let extensions: Extension[] | undefined;
  for (const p of proposals) {
    if (p.by === 'reference' && !p.resolved) throw new MlsUnexpectedContentError('the commit references a proposal that was not provided');
    const proposal = p.proposal;
    switch (proposal.proposalType) {
      case 'update':
        if (p.sender.senderType !== 'member') throw new MlsUnexpectedContentError('an Update proposal not sent by a member');
        updates.push({ sender: p.sender.leafIndex, leafNode: proposal.update.leafNode });
        break;
      case 'remove':
        removes.push(proposal.remove.removed);
        break;
      case 'add':
        adds.push(proposal.add.keyPackage.leafNode);
        break;
      case 'group_context_extensions':
        extensions = [...(extensions ?? []), ...proposal.groupContextExtensions.extensions];
        break;
      case 'external_init':
        throw new MlsUnexpectedContentError('an external commit cannot be followed from the member tree');
      default:
        // psk, reinit and custom proposals change neither the tree nor the GroupContext fields
        break;
    }
  }

  let tree = state.ratchetTree;
  for (const u of updates) tree = updateLeafNode(tree, u.leafNode, leafIndex(u.sender));
  for (const r of removes) {
    if (leafNodeAt(tree, r) === undefined) throw new MlsUnexpectedContentError(`the commit removes blank leaf ${r}`);
    tree = removeLeafNode(tree, leafIndex(r));
  }
  for (const leaf of adds) [tree] = addLeafNode(tree, leaf);

  const cs = await ciphersuiteImpl(state.groupContext.cipherSuite);
  const path = content.commit.path;
  if (path !== undefined) {
    try {
      tree = await applyUpdatePath(tree, leafIndex(committer), path, cs.hash);
    } catch (cause) {
      throw new MlsUnexpectedContentError(`the commit's UpdatePath does not apply: ${cause instanceof Error ? cause.message : cause}`, { cause });
    }
  }
  // unchanged leaves are the stored tree's own objects: only the changed ones are hashed again
  const treeHash = memoisedTreeHashRoot(tree, state.groupContext.cipherSuite);
  const base = extensions === undefined ? state.groupContext : { ...state.groupContext, extensions };
  const groupContext = await nextEpochContext(base, 'mls_public_message', content, auth.signature, treeHash, state.confirmationTag, cs.hash);
  return { groupContext, ratchetTree: tree, confirmationTag: auth.confirmationTag };
}

/**
 * §8.2 alone: the confirmed_transcript_hash of epoch n+1 if `commitMessage` (a PublicMessage
 * Commit) is applied to `state`. Two hashes, so it is cheap enough to compute for every commit a
 * delivery service asks about; it names the commit a later GroupContext claims to come from
 * (the full check is nextPublicEpoch).
 */
export async function confirmedTranscriptHashAfter(
  state: Pick<PublicEpochState, 'groupContext' | 'confirmationTag'>,
  commitMessage: Uint8Array | MLSMessage,
): Promise<Uint8Array> {
  const decoded = commitMessage instanceof Uint8Array ? decodeMlsMessageBytes(commitMessage) : commitMessage;
  if (decoded.wireformat !== 'mls_public_message') throw new MlsUnexpectedContentError('only a PublicMessage commit can be followed from outside');
  const { content, auth } = decoded.publicMessage;
  if (content.contentType !== 'commit' || auth.contentType !== 'commit') throw new MlsUnexpectedContentError('not a commit');
  const cs = await ciphersuiteImpl(state.groupContext.cipherSuite);
  const interim = await createInterimHash(state.groupContext.confirmedTranscriptHash, state.confirmationTag, cs.hash);
  return createConfirmedHash(interim, { wireformat: 'mls_public_message', content, signature: auth.signature }, cs.hash);
}

/**
 * The fingerprint of an epoch's public state a later report must match: the encoded
 * GroupContext (§8.1: epoch, tree hash, confirmed transcript hash, extensions).
 */
export function epochContextBytes(state: Pick<PublicEpochState, 'groupContext'>): Uint8Array {
  return encodeGroupContextBytes(state.groupContext);
}
