// RFC 9420 §12.4.3 GroupInfo: signed by the member at leaf `signer` over GroupInfoTBS; the
// ratchet_tree extension (§12.4.3.3) carries the public tree. A verified GroupInfo is what the
// service trusts as a group's roster and epoch, so verification covers the signature and the
// tree's integrity (§12.4.3.1: tree hash, parent hashes, leaf signatures). Whether each
// member's credential is acceptable (§5.3.1: for x509, the certificate's key must be the leaf's
// signature_key) is the caller's policy; it is applied to every leaf, none is accepted unseen.
import type { Credential, GroupContext, GroupInfo, MLSMessage, RatchetTree } from 'ts-mls';
import { validateRatchetTree } from 'ts-mls/clientState.js';
import { ratchetTreeFromExtension, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsDecodeError, MlsLeafCredentialRejectedError, MlsSignatureInvalidError, MlsUnexpectedContentError } from './errors.js';
import { decodeMlsMessageBytes, groupInfoOf } from './mls-message.js';
import { memberAt, membersOf, type LeafMember } from './ratchet-tree.js';
import type { VerifiedSignatures } from './verified-signatures.js';

export function decodeGroupInfoMessage(message: Uint8Array | MLSMessage): GroupInfo {
  return groupInfoOf(message instanceof Uint8Array ? decodeMlsMessageBytes(message) : message);
}

/** The tree from the ratchet_tree extension; MlsUnexpectedContentError when it is absent. */
export function ratchetTreeOfGroupInfo(groupInfo: GroupInfo): RatchetTree {
  let tree: RatchetTree | undefined;
  try {
    tree = ratchetTreeFromExtension(groupInfo);
  } catch (cause) {
    throw new MlsDecodeError('ratchet_tree', 'malformed extension', { cause });
  }
  if (tree === undefined) throw new MlsUnexpectedContentError('GroupInfo has no ratchet_tree extension');
  return tree;
}

export interface VerifiedGroupInfo {
  groupInfo: GroupInfo;
  groupContext: GroupContext;
  ratchetTree: RatchetTree;
  signer: LeafMember;
}

const keyOf = (key: Uint8Array) => Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The caller's judgement of one leaf's credential (RFC 9420 §5.3.1, §7.2: clients verify that a
 * leaf's credential is acceptable and that its signature_key is the credential's key).
 */
export type LeafCredentialPolicy = (leaf: { credential: Credential; signaturePublicKey: Uint8Array }) => boolean | Promise<boolean>;

// Leaf lifetimes are the KeyPackage's business at Add time; a roster report must not fail
// because a member's original KeyPackage lifetime has since passed.
const NO_LIFETIME_CHECK = { maximumTotalLifetime: 2n ** 64n - 1n, validateLifetimeOnReceive: false };

/**
 * Decodes and verifies a GroupInfo MLSMessage that carries its ratchet tree. Every leaf's
 * credential passes `acceptLeaf` (MlsLeafCredentialRejectedError names those that do not).
 * With `verifiedSignatures`, leaf signatures whose exact (key, LeafNodeTBS, signature) verified
 * in an earlier report are not verified again; everything else (GroupInfo signature, tree and
 * parent hashes, key uniqueness, every leaf's credential policy) runs in full every time.
 */
export async function verifyGroupInfo(
  message: Uint8Array | MLSMessage,
  acceptLeaf: LeafCredentialPolicy,
  verifiedSignatures?: VerifiedSignatures,
): Promise<VerifiedGroupInfo> {
  const groupInfo = decodeGroupInfoMessage(message);
  const { groupContext } = groupInfo;
  const suite = await ciphersuiteImpl(groupContext.cipherSuite);
  const cs = verifiedSignatures ? { ...suite, signature: verifiedSignatures.wrap(suite.signature) } : suite;
  const ratchetTree = ratchetTreeOfGroupInfo(groupInfo);
  let signer: LeafMember;
  try {
    signer = memberAt(ratchetTree, groupInfo.signer);
  } catch {
    throw new MlsSignatureInvalidError(`GroupInfo signer ${groupInfo.signer} is not a member of its tree`);
  }
  let signatureValid = false;
  try {
    signatureValid = await verifyGroupInfoSignature(groupInfo, signer.signaturePublicKey, cs.signature);
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) throw new MlsSignatureInvalidError('GroupInfo signature does not verify under the signer leaf key');
  const accepted = new Set<string>();
  const rejected: number[] = [];
  for (const leaf of membersOf(ratchetTree)) {
    if (await acceptLeaf(leaf)) accepted.add(keyOf(leaf.signaturePublicKey));
    else rejected.push(leaf.leafIndex);
  }
  if (rejected.length > 0) throw new MlsLeafCredentialRejectedError(rejected);
  // ts-mls asks again for each leaf while it validates the tree: the answers given above
  const credentialPolicy = {
    validateCredential: async (_credential: Credential, signaturePublicKey: Uint8Array) => accepted.has(keyOf(signaturePublicKey)),
  };
  let treeError: Error | undefined;
  try {
    treeError = await validateRatchetTree(ratchetTree, groupContext, NO_LIFETIME_CHECK, credentialPolicy, groupContext.treeHash, cs);
  } catch (cause) {
    throw new MlsDecodeError('ratchet_tree', 'tree is structurally invalid', { cause });
  }
  if (treeError !== undefined) {
    throw new MlsSignatureInvalidError(`ratchet tree does not match the signed GroupContext: ${treeError.message}`);
  }
  return { groupInfo, groupContext, ratchetTree, signer };
}
