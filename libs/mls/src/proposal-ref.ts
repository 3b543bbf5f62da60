// RFC 9420 §5.2: ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent),
// the value a Commit carries when it includes a proposal by reference (§12.4).
import type { CiphersuiteName, MLSMessage } from 'ts-mls';
import type { AuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import { makeProposalRef } from 'ts-mls/authenticatedContent.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsUnexpectedContentError } from './errors.js';
import { decodeMlsMessageBytes, publicMessageOf } from './mls-message.js';

export async function proposalRefOf(content: AuthenticatedContent, cipherSuite: CiphersuiteName): Promise<Uint8Array> {
  const cs = await ciphersuiteImpl(cipherSuite);
  return makeProposalRef(content, cs.hash);
}

/**
 * ProposalRef of a proposal sent as a PublicMessage (MLSMessage bytes or decoded). A proposal
 * sent as a PrivateMessage can only be referenced by members, who decrypt it first.
 */
export async function proposalRefOfMessage(message: Uint8Array | MLSMessage, cipherSuite: CiphersuiteName): Promise<Uint8Array> {
  const decoded = message instanceof Uint8Array ? decodeMlsMessageBytes(message) : message;
  const { content, auth } = publicMessageOf(decoded);
  if (content.contentType !== 'proposal') throw new MlsUnexpectedContentError(`expected a proposal, got ${content.contentType}`);
  return proposalRefOf({ wireformat: 'mls_public_message', content, auth }, cipherSuite);
}
