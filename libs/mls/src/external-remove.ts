// RFC 9420 §12.1.3 Remove proposal sent by an external sender (§12.1.8.1) as a PublicMessage
// (§6.2) with Sender { sender_type = external, sender_index }. The signature covers
// FramedContentTBS (§6.1), which for an external sender carries no GroupContext, so the
// message is bound to the group only through group_id and epoch inside FramedContent.
//
// ts-mls 1.6.4 `proposeExternal` cannot be used: it decodes external_senders as a single
// ExternalSender (throws on RFC list form) and would put the extension's position among all
// GroupContext extensions into sender_index. The structure is small and fixed, so it is
// encoded here (a test pins it byte for byte to what ts-mls's lower-level
// `protectExternalProposalPublic` produces), and signed through the caller's signer (§5.1.2
// SignWithLabel) so the private key stays in the caller's custody. Encoding it directly also
// keeps the service's fan-out (thousands of proposals per deprovisioning) near the bare
// signature cost.
import type { GroupContext } from 'ts-mls';
import { MlsInvalidArgumentError } from './errors.js';
import { externalSenderIndex } from './external-senders.js';
import { concatBytes, encodeUint16, encodeVector } from './presentation-language.js';
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

// §6 / §17 code points
const MLS10 = 0x0001;
const WIRE_FORMAT_PUBLIC_MESSAGE = 0x0001;
const SENDER_TYPE_EXTERNAL = 0x02;
const CONTENT_TYPE_PROPOSAL = 0x02;
const PROPOSAL_TYPE_REMOVE = 0x0003;

function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function uint64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export async function signExternalRemove(request: ExternalRemoveRequest): Promise<SignedExternalRemove> {
  const { groupContext, removedLeafIndex } = request;
  if (!Number.isInteger(removedLeafIndex) || removedLeafIndex < 0 || removedLeafIndex > 0xffffffff) {
    throw new MlsInvalidArgumentError(`removed leaf index ${removedLeafIndex} is not a uint32`);
  }
  if (groupContext.version !== 'mls10') throw new MlsInvalidArgumentError(`protocol version ${groupContext.version} is not mls10`);
  if (groupContext.epoch < 0n || groupContext.epoch > 0xffffffffffffffffn) throw new MlsInvalidArgumentError('epoch is not a uint64');
  const senderIndex = externalSenderIndex(groupContext, request.signaturePublicKey);
  // §6: FramedContent { group_id<V>, epoch, Sender { external, sender_index }, authenticated_data<V>,
  //     content_type = proposal, Proposal { remove, Remove { removed } } }
  const framedContent = concatBytes([
    encodeVector(groupContext.groupId),
    uint64(groupContext.epoch),
    Uint8Array.of(SENDER_TYPE_EXTERNAL),
    uint32(senderIndex),
    encodeVector(request.authenticatedData ?? new Uint8Array()),
    Uint8Array.of(CONTENT_TYPE_PROPOSAL),
    encodeUint16(PROPOSAL_TYPE_REMOVE),
    uint32(removedLeafIndex),
  ]);
  // §6.1 FramedContentTBS for a non-member sender: version, wire_format, content (no GroupContext);
  // the same bytes open the MLSMessage (§6: version, wire_format, PublicMessage { content, … })
  const tbs = concatBytes([encodeUint16(MLS10), encodeUint16(WIRE_FORMAT_PUBLIC_MESSAGE), framedContent]);
  const signature = await signWithLabel(request.sign, 'FramedContentTBS', tbs);
  // §6.2 PublicMessage: content, FramedContentAuthData { signature<V> } (no confirmation_tag for a
  // proposal), and no membership_tag for an external sender
  const message = concatBytes([tbs, encodeVector(signature)]);
  // §5.2: AuthenticatedContent { wire_format, content, auth } is the MLSMessage after its version
  const proposalRef = refHash(groupContext.cipherSuite, 'MLS 1.0 Proposal Reference', message.subarray(2));
  return { message, senderIndex, groupId: groupContext.groupId, epoch: groupContext.epoch, removedLeafIndex, proposalRef };
}
