// RFC 9420 §7.8 tree hash, memoised per leaf: a leaf's TreeHashInput (node type, leaf index,
// LeafNode) is hashed once per LeafNode object and index. Applying a commit to a stored tree
// (§12.4.2, epoch-transition.ts) keeps the unchanged LeafNode objects, so the next epoch's tree
// hash re-encodes only the leaves the commit changed; parent levels are recomputed (small
// inputs, one synchronous digest each). Byte-identical to ts-mls treeHashRoot (tree-hash.spec.ts).
import { sha256, sha384, sha512 } from '@noble/hashes/sha2';
import type { CiphersuiteName, LeafNode, RatchetTree } from 'ts-mls';
import { getCiphersuiteFromName } from 'ts-mls';
import { encodeLeafNodeHashInput, encodeParentNodeHashInput } from 'ts-mls/treeHash.js';

const leafHashes = new WeakMap<LeafNode, { algorithm: string; leafIndex: number; hash: Uint8Array }>();

const NODE_ALGORITHMS: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

// @noble/hashes, not node:crypto: libs/mls is bundled for browsers too (tsconfig.browser.json).
const DIGESTS: Record<string, (input: Uint8Array) => Uint8Array> = { sha256, sha384, sha512 };

function digest(algorithm: string, input: Uint8Array): Uint8Array {
  const hash = DIGESTS[algorithm];
  if (!hash) throw new Error(`no digest ${algorithm}`);
  return hash(input);
}

function leafHash(algorithm: string, tree: RatchetTree, nodeIndex: number): Uint8Array {
  const node = tree[nodeIndex];
  if (node?.nodeType === 'parent') throw new Error('parent node in leaf position');
  const leafIndex = nodeIndex / 2;
  const leaf = node?.leaf;
  const known = leaf ? leafHashes.get(leaf) : undefined;
  if (known && known.algorithm === algorithm && known.leafIndex === leafIndex) return known.hash;
  // ts-mls's encoder types want its branded LeafIndex; the wire value is the plain uint32
  const hash = digest(algorithm, encodeLeafNodeHashInput({ nodeType: 'leaf', leafIndex: leafIndex as never, leafNode: leaf }));
  if (leaf) leafHashes.set(leaf, { algorithm, leafIndex, hash });
  return hash;
}

/** The §7.8 tree hash of the whole tree (ts-mls left-balanced array form, Appendix C). */
export function memoisedTreeHashRoot(tree: RatchetTree, suite: CiphersuiteName): Uint8Array {
  const algorithm = NODE_ALGORITHMS[getCiphersuiteFromName(suite).hash];
  if (!algorithm) throw new Error(`no tree hash for ${suite}`);
  // RFC 9420 Appendix C: the root is at level floor(log2(node width)), index 2^level - 1
  const rootLevel = tree.length === 0 ? 0 : Math.floor(Math.log2(tree.length));
  const root = (1 << rootLevel) - 1;
  const hashAt = (index: number, level: number): Uint8Array => {
    if (level === 0) return leafHash(algorithm, tree, index);
    const node = tree[index];
    if (node?.nodeType === 'leaf') throw new Error('leaf node in parent position');
    const half = 1 << (level - 1);
    const leftHash = hashAt(index - half, level - 1);
    const rightHash = hashAt(index + half, level - 1);
    return digest(algorithm, encodeParentNodeHashInput({ nodeType: 'parent', parentNode: node?.parent, leftHash, rightHash }));
  };
  return hashAt(root, rootLevel);
}
