// RFC 9420 §7.8 / Appendix C: leaf L sits at node 2L of the array-represented tree; §12.4.3.3
// ratchet_tree extension carries that array. Lookups here never throw on a short or blank tree.
import type { Credential, LeafNode, RatchetTree } from 'ts-mls';
import { MlsLeafNotFoundError } from './errors.js';

export function leafNodeAt(tree: RatchetTree, leafIndex: number): LeafNode | undefined {
  if (!Number.isInteger(leafIndex) || leafIndex < 0) return undefined;
  const node = tree[2 * leafIndex];
  return node?.nodeType === 'leaf' ? node.leaf : undefined;
}

export interface LeafMember {
  leafIndex: number;
  credential: Credential;
  signaturePublicKey: Uint8Array;
}

/** Credential and signature key of the member at `leafIndex`; MlsLeafNotFoundError if blank. */
export function memberAt(tree: RatchetTree, leafIndex: number): LeafMember {
  const leaf = leafNodeAt(tree, leafIndex);
  if (leaf === undefined) throw new MlsLeafNotFoundError(`no member at leaf ${leafIndex}`);
  return { leafIndex, credential: leaf.credential, signaturePublicKey: leaf.signaturePublicKey };
}

/** Every non-blank leaf, in leaf order: the group's roster. */
export function membersOf(tree: RatchetTree): LeafMember[] {
  const members: LeafMember[] = [];
  for (let nodeIndex = 0; nodeIndex < tree.length; nodeIndex += 2) {
    const node = tree[nodeIndex];
    if (node?.nodeType === 'leaf') {
      members.push({ leafIndex: nodeIndex / 2, credential: node.leaf.credential, signaturePublicKey: node.leaf.signaturePublicKey });
    }
  }
  return members;
}
