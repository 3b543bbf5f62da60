import { ConsistencyProofInvalid, TreeRangeInvalid } from './errors.js';
import { assertHash } from './inclusion-proof.js';
import { emptyTreeHash, hashChildren, hashesEqual, largestPowerOfTwoBelow } from './merkle-hash.js';
import { assertTreeSize, readRangeHashes, type HashReader } from './subtree.js';

/**
 * The ranges D[a:b] whose MTH make up PROOF(first, D[0:second]) = SUBPROOF(first, D[0:second], true)
 * (RFC 9162 §2.1.4.1), in proof order. Empty when first is 0 or equals second.
 */
export function consistencyProofRanges(first: number, second: number): [number, number][] {
  assertTreeSize('first', first);
  assertTreeSize('second', second);
  if (first > second) throw new TreeRangeInvalid(`tree size ${first} is larger than ${second}`);
  if (first === 0 || first === second) return [];
  const topDown: [number, number][] = [];
  let lo = 0;
  let hi = second;
  // `whole` is SUBPROOF's b: true while the old tree is still the left edge of the range.
  let whole = true;
  for (;;) {
    if (first === hi) {
      if (!whole) topDown.push([lo, hi]);
      break;
    }
    const k = largestPowerOfTwoBelow(hi - lo);
    if (first <= lo + k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
      whole = false;
    }
  }
  return topDown.reverse();
}

/**
 * RFC 9162 §2.1.4.1: the consistency proof from the tree of `first` leaves to the tree of
 * `second` leaves, computed from stored complete-subtree hashes in one reader call.
 */
export async function generateConsistencyProof(first: number, second: number, reader: HashReader): Promise<Uint8Array[]> {
  return readRangeHashes(consistencyProofRanges(first, second), reader);
}

/**
 * RFC 9162 §2.1.4.2: checks that the tree of `second` leaves with root `secondRoot` extends
 * the tree of `first` leaves with root `firstRoot`. The RFC algorithm covers 0 < first < second;
 * first = second needs an empty proof and equal roots; first = 0 needs an empty proof
 * and the empty tree's root (every tree extends the empty tree). Throws ConsistencyProofInvalid (or TreeRangeInvalid).
 */
export function verifyConsistencyProof(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  assertTreeSize('first', first);
  assertTreeSize('second', second);
  assertHash('first root hash', firstRoot);
  assertHash('second root hash', secondRoot);
  for (const p of proof) assertHash('proof hash', p);
  if (first > second) throw new TreeRangeInvalid(`tree size ${first} is larger than ${second}`);
  if (first === 0 || first === second) {
    if (proof.length !== 0) throw new ConsistencyProofInvalid('consistency proof must be empty');
    if (first === 0 && !hashesEqual(firstRoot, emptyTreeHash())) {
      throw new ConsistencyProofInvalid('the empty tree has another root hash');
    }
    if (first === second && !hashesEqual(firstRoot, secondRoot)) {
      throw new ConsistencyProofInvalid('trees of the same size have different roots');
    }
    return;
  }
  // Step 1.
  if (proof.length === 0) throw new ConsistencyProofInvalid('consistency proof is empty');
  // Step 2.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  // Steps 3–4.
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  let fr = path[0]!;
  let sr = path[0]!;
  // Step 6.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ConsistencyProofInvalid('consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7.
  if (sn !== 0) throw new ConsistencyProofInvalid('consistency proof is too short');
  if (!hashesEqual(fr, firstRoot)) throw new ConsistencyProofInvalid('consistency proof does not lead to the first root');
  if (!hashesEqual(sr, secondRoot)) throw new ConsistencyProofInvalid('consistency proof does not lead to the second root');
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
