// RFC 9420 §12.1.3 Remove proposal sent by an external sender (§12.1.8.1) as a PublicMessage
// (§6.2) with Sender { sender_type = external, sender_index }. The signature covers
// FramedContentTBS (§6.1), which for an external sender carries no GroupContext, so the
// message is bound to the group only through group_id and epoch inside FramedContent.
//
// ts-mls 1.6.4 `proposeExternal` cannot be used: it decodes external_senders as a single
// ExternalSender (throws on RFC list form) and would put the extension's position among all
// GroupContext extensions into sender_index. We compute sender_index within the list and call
// the lower-level `protectExternalProposalPublic`, which signs exactly what §6.1 asks.
import { encodeMlsMessage, type GroupContext, type Proposal } from 'ts-mls';
import { protectExternalProposalPublic } from 'ts-mls/messageProtectionPublic.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsInvalidArgumentError } from './errors.js';
import { externalSenderIndex } from './external-senders.js';

export interface ExternalRemoveRequest {
  /** the group's GroupContext for the epoch the proposal is for (e.g. from its latest GroupInfo) */
  groupContext: GroupContext;
  /** leaf index of the member to remove */
  removedLeafIndex: number;
  /** the service's external-sender signature key as listed in external_senders */
  signaturePublicKey: Uint8Array;
  /** the matching private key in the ts-mls format of the group's ciphersuite (raw bytes) */
  signaturePrivateKey: Uint8Array;
  authenticatedData?: Uint8Array;
}

export interface SignedExternalRemove {
  /** MLSMessage (§6) bytes carrying the PublicMessage */
  message: Uint8Array;
  senderIndex: number;
  groupId: Uint8Array;
  epoch: bigint;
  removedLeafIndex: number;
}

export async function signExternalRemove(request: ExternalRemoveRequest): Promise<SignedExternalRemove> {
  const { groupContext, removedLeafIndex } = request;
  if (!Number.isInteger(removedLeafIndex) || removedLeafIndex < 0 || removedLeafIndex > 0xffffffff) {
    throw new MlsInvalidArgumentError(`removed leaf index ${removedLeafIndex} is not a uint32`);
  }
  const senderIndex = externalSenderIndex(groupContext, request.signaturePublicKey);
  const cs = await ciphersuiteImpl(groupContext.cipherSuite);
  const proposal: Proposal = { proposalType: 'remove', remove: { removed: removedLeafIndex } };
  const { publicMessage } = await protectExternalProposalPublic(
    request.signaturePrivateKey,
    groupContext,
    request.authenticatedData ?? new Uint8Array(),
    proposal,
    { senderType: 'external', senderIndex },
    cs,
  );
  const message = encodeMlsMessage({ version: groupContext.version, wireformat: 'mls_public_message', publicMessage });
  return { message, senderIndex, groupId: groupContext.groupId, epoch: groupContext.epoch, removedLeafIndex };
}
