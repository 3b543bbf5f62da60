// RFC 9420 §12.1.3 Remove proposal sent by an external sender (§12.1.8.1) as a PublicMessage
// (§6.2) with Sender { sender_type = external, sender_index }. The signature covers
// FramedContentTBS (§6.1), which for an external sender carries no GroupContext, so the
// message is bound to the group only through group_id and epoch inside FramedContent.
//
// ts-mls 1.6.4 `proposeExternal` cannot be used: it decodes external_senders as a single
// ExternalSender (throws on RFC list form) and would put the extension's position among all
// GroupContext extensions into sender_index. We compute sender_index within the list, encode
// FramedContentTBS with ts-mls's encoder, and sign it through the caller's signer (§5.1.2
// SignWithLabel), so the private key stays in the caller's custody.
import { encodeMlsMessage, type FramedContent, type GroupContext, type PublicMessage } from 'ts-mls';
import { encodeFramedContentTBS, toTbs } from 'ts-mls/framedContent.js';
import { MlsInvalidArgumentError } from './errors.js';
import { externalSenderIndex } from './external-senders.js';
import { refHash } from './ref-hash.js';
import { signWithLabel, type MlsSigner } from './sign-with-label.js';

export interface ExternalRemoveRequest {
  /** the group's GroupContext for the epoch the proposal is for (e.g. from its latest GroupInfo) */
  groupContext: GroupContext;
  /** leaf index of the member to remove */
  removedLeafIndex: number;
  /** the service's external-sender signature key as listed in external_senders */
  signaturePublicKey: Uint8Array;
  /** signs SignContent bytes with the matching private key (see MlsSigner) */
  sign: MlsSigner;
  authenticatedData?: Uint8Array;
}

export interface SignedExternalRemove {
  /** MLSMessage (§6) bytes carrying the PublicMessage */
  message: Uint8Array;
  senderIndex: number;
  groupId: Uint8Array;
  epoch: bigint;
  removedLeafIndex: number;
  /** §5.2 ProposalRef by which a Commit includes this proposal by reference */
  proposalRef: Uint8Array;
}

export async function signExternalRemove(request: ExternalRemoveRequest): Promise<SignedExternalRemove> {
  const { groupContext, removedLeafIndex } = request;
  if (!Number.isInteger(removedLeafIndex) || removedLeafIndex < 0 || removedLeafIndex > 0xffffffff) {
    throw new MlsInvalidArgumentError(`removed leaf index ${removedLeafIndex} is not a uint32`);
  }
  const senderIndex = externalSenderIndex(groupContext, request.signaturePublicKey);
  const content: FramedContent = {
    groupId: groupContext.groupId,
    epoch: groupContext.epoch,
    sender: { senderType: 'external', senderIndex },
    authenticatedData: request.authenticatedData ?? new Uint8Array(),
    contentType: 'proposal',
    proposal: { proposalType: 'remove', remove: { removed: removedLeafIndex } },
  };
  // §6.1 FramedContentTBS; toTbs adds the GroupContext only for member senders
  const tbs = encodeFramedContentTBS(toTbs(content, 'mls_public_message', groupContext));
  const signature = await signWithLabel(request.sign, 'FramedContentTBS', tbs);
  // §6.2: no membership_tag for an external sender
  const publicMessage: PublicMessage = { content, auth: { contentType: 'proposal', signature }, senderType: 'external' };
  const message = encodeMlsMessage({ version: groupContext.version, wireformat: 'mls_public_message', publicMessage });
  // §5.2: AuthenticatedContent { wire_format, content, auth } is exactly the MLSMessage after its
  // 2-byte version when the sender is external (a PublicMessage without membership_tag, §6.2)
  const proposalRef = refHash(groupContext.cipherSuite, 'MLS 1.0 Proposal Reference', message.subarray(2));
  return { message, senderIndex, groupId: groupContext.groupId, epoch: groupContext.epoch, removedLeafIndex, proposalRef };
}
