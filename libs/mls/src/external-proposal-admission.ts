// A ts-mls 1.6.4 member cannot take an external proposal in through processMessage when the
// group lists its external senders in RFC form: its key lookup decodes the extension as one
// ExternalSender and fails, and it would not check group_id or epoch anyway. The member instead
// runs the receiver guard (which verifies the signature against the RFC list) and stores the
// verified proposal with ts-mls's own `processProposal`, so that ts-mls computes the same
// ProposalRef (§5.2) it will resolve when a Commit references the proposal. Admission always
// asks whether the removed member's credential is revoked: the service's signature does not
// say who sits at the leaf (see receiver-guard.ts).
import type { ClientState, MLSMessage } from 'ts-mls';
import { processProposal } from 'ts-mls/clientState.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { proposalRefOf } from './proposal-ref.js';
import { checkExternalRemoveProposal, type ExternalProposalRejection, type RemovedMemberRevoked } from './receiver-guard.js';

export type ExternalProposalAdmission =
  | { admitted: true; state: ClientState; proposalRef: Uint8Array; removedLeafIndex: number }
  | { admitted: false; reason: ExternalProposalRejection; detail: string };

export async function admitExternalRemoveProposal(
  state: ClientState,
  message: Uint8Array | MLSMessage,
  removedMemberRevoked: RemovedMemberRevoked,
): Promise<ExternalProposalAdmission> {
  const verdict = await checkExternalRemoveProposal(message, state, { removedMemberRevoked });
  if (!verdict.accepted) return { admitted: false, reason: verdict.reason, detail: verdict.detail };
  const cs = await ciphersuiteImpl(state.groupContext.cipherSuite);
  const { authenticatedContent } = verdict;
  const next = await processProposal(state, authenticatedContent, authenticatedContent.content.proposal, cs.hash);
  return {
    admitted: true,
    state: next,
    proposalRef: await proposalRefOf(authenticatedContent, state.groupContext.cipherSuite),
    removedLeafIndex: verdict.removedLeafIndex,
  };
}
