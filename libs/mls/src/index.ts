// Public API of libs/mls: RFC 9420 glue over ts-mls 1.6.4. See ../README.md.
export * from './errors.js';
export { availableCiphersuites, ciphersuiteImpl, isCiphersuiteName } from './ciphersuite.js';
export {
  ciphersuiteSignature,
  ciphersuiteSignatureByName,
  SUPPORTED_CIPHERSUITES,
  webCryptoSignatureParams,
  type CiphersuiteSignature,
  type SignatureKeyAlgorithm,
} from './ciphersuite-signature.js';
export { CREDENTIAL_TYPE, encodeCredential } from './credential.js';
export {
  EXTERNAL_SENDERS_EXTENSION_TYPE,
  decodeExternalSenders,
  encodeExternalSenders,
  externalSenderIndex,
  externalSendersExtension,
  externalSendersOf,
} from './external-senders.js';
export {
  certificateChainOf,
  decodeX509Credential,
  encodeX509Credential,
  leafCertificateOf,
  MAX_CREDENTIAL_CERTIFICATES,
  x509CredentialFromChain,
} from './x509-credential.js';
export { signContent, signWithLabel, type MlsSigner } from './sign-with-label.js';
export { signExternalRemove, type ExternalRemoveRequest, type SignedExternalRemove } from './external-remove.js';
export {
  checkExternalRemoveProposal,
  type ExternalProposalRejection,
  type ExternalProposalVerdict,
  type GuardedGroup,
  type RemovedMemberRevoked,
} from './receiver-guard.js';
export { admitExternalRemoveProposal, type ExternalProposalAdmission } from './external-proposal-admission.js';
export { createGroupWithExternalSenders } from './group-creation.js';
export { decodeMlsMessageBytes, encodeMlsMessageBytes, groupInfoOf, keyPackageOf, publicMessageOf } from './mls-message.js';
export { decodeGroupInfoMessage, ratchetTreeOfGroupInfo, verifyGroupInfo, type LeafCredentialPolicy, type VerifiedGroupInfo } from './group-info.js';
export { confirmedTranscriptHashAfter, epochContextBytes, nextPublicEpoch, type PublicEpochState } from './epoch-transition.js';
export { leafNodeAt, memberAt, membersOf, type LeafMember } from './ratchet-tree.js';
export { VerifiedSignatures } from './verified-signatures.js';
export { proposalRefOf, proposalRefOfMessage } from './proposal-ref.js';
export { ciphersuiteHashName, refHash } from './ref-hash.js';
export { decodeGroupContextBytes, encodeGroupContextBytes } from './group-context.js';
export { proposalsOfCommit, verifyCommitSender, type CommittedProposal, type InspectedCommit } from './commit.js';
export { inspectKeyPackage, type InspectedKeyPackage } from './key-package.js';
export { MLS_IMPLEMENTATION, MLS_KNOWN_DEVIATIONS, type MlsDeviation } from './implementation.js';
export {
  admitExternalSendersSwap,
  signExternalSendersSwap,
  swappedExtensions,
  withNamedExternalSenders,
  type ExternalSendersSwapAdmission,
  type ExternalSendersSwapRequest,
  type SignedExternalSendersSwap,
} from './external-senders-swap.js';
