// @noble/hashes: synchronous SHA-256 that runs unchanged in Node and browsers (RFC 9162
// hashing must be synchronous here, which WebCrypto is not).
import { sha256 } from '@noble/hashes/sha2';

/** RFC 9162 §2.1.1 hashes are SHA-256 outputs. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 9162 §2.1.1: MTH({d(0)}) = HASH(0x00 ‖ d(0)). */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return sha256.create().update(LEAF_PREFIX).update(entry).digest();
}

/** RFC 9162 §2.1.1: HASH(0x01 ‖ left ‖ right), the interior node hash. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: MTH({}) = HASH(), the root of the empty tree. */
export function emptyTreeHash(): Uint8Array {
  return sha256(new Uint8Array());
}

/**
 * RFC 9162 §2.1.1 Merkle Tree Hash of a whole list of entries, straight from the definition.
 * Meant for small lists (a test vector, a bundle); a log uses MerkleTreeBuilder or stored hashes.
 */
export function merkleTreeHash(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 0) return emptyTreeHash();
  return merkleTreeHashOfLeafHashes(entries.map(hashLeaf));
}

/** MTH of a list given its leaf hashes: split at the largest power of two smaller than n. */
export function merkleTreeHashOfLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return emptyTreeHash();
  if (n === 1) return leafHashes[0]!;
  const k = largestPowerOfTwoBelow(n);
  return hashChildren(merkleTreeHashOfLeafHashes(leafHashes.slice(0, k)), merkleTreeHashOfLeafHashes(leafHashes.slice(k)));
}

/** The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Constant-shape comparison of two hashes (they are public values; this is for clarity, not secrecy). */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
