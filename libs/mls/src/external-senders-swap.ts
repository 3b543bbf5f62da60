// External-sender key rotation as MLS: a GroupContextExtensions proposal (RFC 9420 §12.1.7)
// sent by the service as an external sender (§12.1.8.1, §6 sender_type external), signed by
// the key the group trusts now, whose extensions are the group's current ones with the
// service's external_senders entry swapped for the new sender (same position, so the
// sender_index of every other external sender keeps its meaning). Once a member commits it,
// the next GroupContext lists the new key and the old one can no longer propose.
//
// Encoding and signing are ts-mls's (`protectExternalProposalPublic`), with a Signature whose
// `sign` hands SignContent (§5.1.2) to the caller's MlsSigner: the private key stays in custody.
//
// ts-mls 1.6.4 receivers: `processMessage` cannot verify an external proposal against an
// RFC-list external_senders, and committing a GroupContextExtensions proposal makes ts-mls
// decode the new external_senders as ONE ExternalSender and throw. `admitExternalSendersSwap`
// verifies the proposal with the RFC list and checks it changes nothing but that entry, then
// stores it with the extension's type as the number 5 (the same wire bytes, §13.4), which
// ts-mls leaves undecoded; `withNamedExternalSenders` restores the name after the commit.
import type { ClientState, Extension, ExternalSender, GroupContext, MLSMessage, ProposalGroupContextExtensions } from 'ts-mls';
import { encodeMlsMessage } from 'ts-mls';
import type { AuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import { processProposal } from 'ts-mls/clientState.js';
import { verifyFramedContentSignature } from 'ts-mls/framedContent.js';
import { protectExternalProposalPublic } from 'ts-mls/messageProtectionPublic.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsDecodeError, MlsInvalidArgumentError } from './errors.js';
import { encodeExternalSenders, EXTERNAL_SENDERS_EXTENSION_TYPE, externalSenderIndex, externalSendersOf } from './external-senders.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { proposalRefOf } from './proposal-ref.js';
import type { MlsSigner } from './sign-with-label.js';

export interface ExternalSendersSwapRequest {
  /** The group's GroupContext at the epoch the proposal is for. */
  groupContext: GroupContext;
  /** The signature key the group lists now (it signs the proposal). */
  oldSignaturePublicKey: Uint8Array;
  /** The sender that takes its place. */
  newSender: ExternalSender;
  /** Signs §5.1.2 SignContent with the OLD key's private half (in custody). */
  sign: MlsSigner;
}

export interface SignedExternalSendersSwap {
  /** MLSMessage bytes (PublicMessage, external sender, GroupContextExtensions proposal). */
  message: Uint8Array;
  /** §5.2 ProposalRef by which a Commit includes it. */
  proposalRef: Uint8Array;
  epoch: bigint;
  senderIndex: number;
}

function isExternalSenders(e: Extension): boolean {
  return e.extensionType === 'external_senders' || e.extensionType === EXTERNAL_SENDERS_EXTENSION_TYPE;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The group's extensions with the sender of `oldKey` replaced by `newSender` in the external_senders list. */
export function swappedExtensions(groupContext: Pick<GroupContext, 'extensions'>, oldKey: Uint8Array, newSender: ExternalSender): Extension[] {
  const index = externalSenderIndex(groupContext, oldKey);
  const senders = externalSendersOf(groupContext)!;
  const next = senders.map((s, i) => (i === index ? newSender : s));
  return groupContext.extensions.map((e) =>
    isExternalSenders(e) ? { extensionType: 'external_senders' as const, extensionData: encodeExternalSenders(next) } : e,
  );
}

export async function signExternalSendersSwap(request: ExternalSendersSwapRequest): Promise<SignedExternalSendersSwap> {
  const { groupContext } = request;
  const senderIndex = externalSenderIndex(groupContext, request.oldSignaturePublicKey);
  if (bytesEqual(request.oldSignaturePublicKey, request.newSender.signaturePublicKey)) {
    throw new MlsInvalidArgumentError('the new external sender has the same key as the old one');
  }
  const extensions = swappedExtensions(groupContext, request.oldSignaturePublicKey, request.newSender);
  const cs = await ciphersuiteImpl(groupContext.cipherSuite);
  // ts-mls signs through cs.signature.sign(signKey, SignContent): ours ignores the (empty) key
  // and asks custody, so ts-mls encodes and frames while the private key never leaves it
  const custody = { ...cs, signature: { ...cs.signature, sign: (_unused: Uint8Array, content: Uint8Array) => request.sign(content) } };
  const proposal: ProposalGroupContextExtensions = { proposalType: 'group_context_extensions', groupContextExtensions: { extensions } };
  const { publicMessage } = await protectExternalProposalPublic(
    new Uint8Array(0),
    groupContext,
    new Uint8Array(0),
    proposal,
    { senderType: 'external', senderIndex },
    custody,
  );
  const message = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage });
  const proposalRef = await proposalRefOf(
    { wireformat: 'mls_public_message', content: publicMessage.content, auth: publicMessage.auth },
    groupContext.cipherSuite,
  );
  return { message, proposalRef, epoch: groupContext.epoch, senderIndex };
}

export type ExternalSendersSwapAdmission =
  { admitted: true; state: ClientState; proposalRef: Uint8Array; newSender: ExternalSender } | { admitted: false; reason: string };

/**
 * What a ts-mls 1.6.4 member does with the service's swap proposal instead of processMessage:
 * verify it (an external sender the group lists signed it, for this group and epoch, and it
 * changes only that sender's external_senders entry), then store it for a Commit to reference.
 */
export async function admitExternalSendersSwap(state: ClientState, message: Uint8Array | MLSMessage): Promise<ExternalSendersSwapAdmission> {
  let decoded: MLSMessage;
  try {
    decoded = message instanceof Uint8Array ? decodeMlsMessageBytes(message) : message;
  } catch (e) {
    return { admitted: false, reason: `malformed: ${e instanceof Error ? e.message : e}` };
  }
  if (decoded.wireformat !== 'mls_public_message') return { admitted: false, reason: 'not a PublicMessage' };
  const { content, auth } = decoded.publicMessage;
  if (content.contentType !== 'proposal' || content.proposal.proposalType !== 'group_context_extensions') {
    return { admitted: false, reason: 'not a GroupContextExtensions proposal' };
  }
  if (content.sender.senderType !== 'external') return { admitted: false, reason: 'not sent by an external sender' };
  const gc = state.groupContext;
  if (!bytesEqual(content.groupId, gc.groupId) || content.epoch !== gc.epoch) return { admitted: false, reason: 'for another group or epoch' };
  let senders: ExternalSender[];
  try {
    senders = externalSendersOf(gc) ?? [];
  } catch (e) {
    if (!(e instanceof MlsDecodeError)) throw e;
    return { admitted: false, reason: 'the group external_senders does not decode' };
  }
  const signer = senders[content.sender.senderIndex];
  if (!signer) return { admitted: false, reason: 'sender_index out of range' };
  const cs = await ciphersuiteImpl(gc.cipherSuite);
  let valid = false;
  try {
    valid = await verifyFramedContentSignature(signer.signaturePublicKey, 'mls_public_message', content, auth, gc, cs.signature);
  } catch {
    valid = false;
  }
  if (!valid) return { admitted: false, reason: 'signature invalid' };
  // the only change allowed: the signer's own external_senders entry replaced by another sender
  const proposed = content.proposal.groupContextExtensions.extensions;
  let next: ExternalSender[];
  try {
    next = externalSendersOf({ extensions: proposed }) ?? [];
  } catch {
    return { admitted: false, reason: 'the proposed external_senders does not decode' };
  }
  const index = content.sender.senderIndex;
  const newSender = next[index];
  const onlyEntryChanged =
    newSender !== undefined &&
    next.length === senders.length &&
    !bytesEqual(newSender.signaturePublicKey, signer.signaturePublicKey) &&
    bytesEqual(encodeExternalSenders(next.filter((_, i) => i !== index)), encodeExternalSenders(senders.filter((_, i) => i !== index))) &&
    proposed.length === gc.extensions.length &&
    proposed.every(
      (e, i) =>
        isExternalSenders(e) === isExternalSenders(gc.extensions[i]!) &&
        (isExternalSenders(e) || bytesEqual(e.extensionData, gc.extensions[i]!.extensionData)),
    );
  if (!onlyEntryChanged) return { admitted: false, reason: 'the proposal changes more than the signer’s external_senders entry' };
  // same wire bytes; a numeric type keeps ts-mls 1.6.4 from decoding the list as one sender
  const stored: ProposalGroupContextExtensions = {
    proposalType: 'group_context_extensions',
    groupContextExtensions: {
      extensions: proposed.map((e) => (isExternalSenders(e) ? { ...e, extensionType: EXTERNAL_SENDERS_EXTENSION_TYPE } : e)),
    },
  };
  const authenticated = { wireformat: 'mls_public_message', content, auth } as AuthenticatedContent;
  const admittedState = await processProposal(state, authenticated, stored, cs.hash);
  return { admitted: true, state: admittedState, proposalRef: await proposalRefOf(authenticated, gc.cipherSuite), newSender };
}

/** After committing or processing the swap: external_senders by name again (what ts-mls expects elsewhere). */
export function withNamedExternalSenders(state: ClientState): ClientState {
  const extensions = state.groupContext.extensions.map((e) => (isExternalSenders(e) ? { ...e, extensionType: 'external_senders' as const } : e));
  return { ...state, groupContext: { ...state.groupContext, extensions } };
}
