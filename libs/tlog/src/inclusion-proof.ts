import { HashMalformed, InclusionProofInvalid, TreeRangeInvalid } from './errors.js';
import { HASH_SIZE, hashChildren, hashesEqual, largestPowerOfTwoBelow } from './merkle-hash.js';
import { assertTreeSize, readRangeHashes, type HashReader } from './subtree.js';

/**
 * The ranges D[a:b] whose MTH make up PATH(m, D[0:n]) (RFC 9162 §2.1.3.1), in proof order
 * (the sibling nearest the leaf first).
 */
export function inclusionProofRanges(index: number, size: number): [number, number][] {
  assertTreeSize('size', size);
  assertTreeSize('index', index);
  if (index >= size) throw new TreeRangeInvalid(`leaf index ${index} is not in a tree of size ${size}`);
  const topDown: [number, number][] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index < lo + k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 9162 §2.1.3.1: the inclusion proof for leaf `index` in the tree of `size` leaves,
 * computed from stored complete-subtree hashes: at most 2·⌈log2 size⌉ reads in one call.
 */
export async function generateInclusionProof(index: number, size: number, reader: HashReader): Promise<Uint8Array[]> {
  return readRangeHashes(inclusionProofRanges(index, size), reader);
}

/**
 * RFC 9162 §2.1.3.2: checks that `leafHash` is the leaf at `index` of the tree of `size`
 * leaves with root `rootHash`. Throws InclusionProofInvalid (or TreeRangeInvalid).
 */
export function verifyInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], rootHash: Uint8Array): void {
  assertTreeSize('size', size);
  assertTreeSize('index', index);
  assertHash('leaf hash', leafHash);
  assertHash('root hash', rootHash);
  for (const p of proof) assertHash('proof hash', p);
  // Step 1.
  if (index >= size) throw new TreeRangeInvalid(`leaf index ${index} is not in a tree of size ${size}`);
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!hashesEqual(computed, rootHash)) throw new InclusionProofInvalid('inclusion proof does not lead to the root hash');
}

/**
 * Steps 2–5 of RFC 9162 §2.1.3.2 up to the root comparison; throws when the proof has the
 * wrong length for (index, size). Shifts are done with division: sizes exceed 2^32.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new InclusionProofInvalid('inclusion proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new InclusionProofInvalid('inclusion proof is too short');
  return r;
}

export function assertHash(what: string, hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) throw new HashMalformed(`${what} must be ${HASH_SIZE} bytes`);
}
