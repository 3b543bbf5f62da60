// RFC 9420 §12.4 Commit: `ProposalOrRef proposals<V>` lists proposals by value or by
// ProposalRef (§5.2). To judge a commit, the delivery service needs every proposal it applies,
// so references are resolved against the proposal messages it has seen in the same epoch.
// Only a PublicMessage commit can be inspected without the group's secrets.
import type { CiphersuiteName, Commit, FramedContent, GroupContext, MLSMessage, Proposal, RatchetTree, Sender } from 'ts-mls';
import { verifyFramedContentSignature } from 'ts-mls/framedContent.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsSignatureInvalidError, MlsUnexpectedContentError } from './errors.js';
import { decodeMlsMessageBytes, publicMessageOf } from './mls-message.js';
import { proposalRefOfMessage } from './proposal-ref.js';
import { memberAt, type LeafMember } from './ratchet-tree.js';

export type CommittedProposal =
  | { by: 'value'; proposal: Proposal; sender: Sender }
  | { by: 'reference'; ref: Uint8Array; resolved: true; proposal: Proposal; sender: Sender; knownIndex: number }
  | { by: 'reference'; ref: Uint8Array; resolved: false };

export interface InspectedCommit {
  groupId: Uint8Array;
  epoch: bigint;
  committer: Sender;
  commit: Commit;
  proposals: CommittedProposal[];
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Lists the proposals a PublicMessage commit applies. `knownProposals` are proposal
 * MLSMessages (PublicMessage) of the group; ones that do not decode are ignored, since the
 * question is only which of them the commit references (`knownIndex` says which one).
 */
export async function proposalsOfCommit(
  commitMessage: Uint8Array | MLSMessage,
  cipherSuite: CiphersuiteName,
  knownProposals: readonly (Uint8Array | MLSMessage)[] = [],
): Promise<InspectedCommit> {
  const decoded = commitMessage instanceof Uint8Array ? decodeMlsMessageBytes(commitMessage) : commitMessage;
  if (decoded.wireformat === 'mls_private_message') {
    throw new MlsUnexpectedContentError('commit is a PrivateMessage; only members can read it');
  }
  const { content } = publicMessageOf(decoded);
  if (content.contentType !== 'commit') throw new MlsUnexpectedContentError(`expected a commit, got ${content.contentType}`);

  const byRef = new Map<string, { proposal: Proposal; sender: Sender; knownIndex: number }>();
  for (const [knownIndex, candidate] of knownProposals.entries()) {
    let ref: Uint8Array;
    let proposalContent: FramedContent;
    try {
      const m = candidate instanceof Uint8Array ? decodeMlsMessageBytes(candidate) : candidate;
      proposalContent = publicMessageOf(m).content;
      ref = await proposalRefOfMessage(m, cipherSuite);
    } catch {
      continue;
    }
    if (proposalContent.contentType === 'proposal') {
      byRef.set(toHex(ref), { proposal: proposalContent.proposal, sender: proposalContent.sender, knownIndex });
    }
  }

  const proposals: CommittedProposal[] = content.commit.proposals.map((p) => {
    if (p.proposalOrRefType === 'proposal') return { by: 'value', proposal: p.proposal, sender: content.sender };
    const found = byRef.get(toHex(p.reference));
    return found === undefined
      ? { by: 'reference', ref: p.reference, resolved: false }
      : { by: 'reference', ref: p.reference, resolved: true, ...found };
  });
  return { groupId: content.groupId, epoch: content.epoch, committer: content.sender, commit: content.commit, proposals };
}

/**
 * What a delivery service (which has no membership key) can check of a member's PublicMessage
 * commit: that it is for the group's current group_id and epoch and that the committing
 * member's leaf key signed it (§6.1, FramedContentTBS with the GroupContext). Returns the
 * committer; throws MlsUnexpectedContentError or MlsSignatureInvalidError otherwise.
 */
export async function verifyCommitSender(
  commitMessage: Uint8Array | MLSMessage,
  group: { groupContext: GroupContext; ratchetTree: RatchetTree },
): Promise<LeafMember> {
  const decoded = commitMessage instanceof Uint8Array ? decodeMlsMessageBytes(commitMessage) : commitMessage;
  if (decoded.wireformat !== 'mls_public_message') throw new MlsUnexpectedContentError(`expected a PublicMessage commit, got ${decoded.wireformat}`);
  const { content, auth } = decoded.publicMessage;
  if (content.contentType !== 'commit') throw new MlsUnexpectedContentError(`expected a commit, got ${content.contentType}`);
  if (content.sender.senderType !== 'member') throw new MlsUnexpectedContentError(`commit sender is ${content.sender.senderType}, not a member`);
  const { groupContext } = group;
  if (!bytesEqual(content.groupId, groupContext.groupId)) {
    throw new MlsUnexpectedContentError('commit is for another group');
  }
  if (content.epoch !== groupContext.epoch) {
    throw new MlsUnexpectedContentError(`commit epoch ${content.epoch}, group epoch ${groupContext.epoch}`);
  }
  let committer: LeafMember;
  try {
    committer = memberAt(group.ratchetTree, content.sender.leafIndex);
  } catch {
    throw new MlsSignatureInvalidError(`commit sender leaf ${content.sender.leafIndex} is not a member`);
  }
  const cs = await ciphersuiteImpl(groupContext.cipherSuite);
  let valid = false;
  try {
    valid = await verifyFramedContentSignature(committer.signaturePublicKey, 'mls_public_message', content, auth, groupContext, cs.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new MlsSignatureInvalidError(`commit is not signed by the member at leaf ${committer.leafIndex}`);
  return committer;
}
