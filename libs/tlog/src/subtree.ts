import { HashMalformed, TreeRangeInvalid } from './errors.js';
import { HASH_SIZE, hashChildren } from './merkle-hash.js';

/**
 * A complete subtree of the log: the 2^level leaves starting at index·2^level. Its hash is
 * MTH(D[index·2^level : (index+1)·2^level]) (RFC 9162 §2.1.1). These are the only hashes a
 * log ever needs to store: they never change once the subtree is full, and tlog-tiles are
 * made of them (a level-L tile holds subtrees at level 8·L).
 */
export interface Subtree {
  readonly level: number;
  readonly index: number;
}

/** A subtree with its hash, as produced when the log grows. */
export interface SubtreeHash extends Subtree {
  readonly hash: Uint8Array;
}

/**
 * Where proofs and roots get their hashes from: the server's database, or tiles through
 * tileHashReader. It must answer in request order; only complete subtrees are ever asked.
 */
export interface HashReader {
  readHashes(subtrees: readonly Subtree[]): Promise<readonly Uint8Array[]>;
}

/** The largest tree this library handles: indexes stay exact in a JS number. */
export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER;

export function isTreeSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function assertTreeSize(name: string, value: number): void {
  if (!isTreeSize(value)) throw new TreeRangeInvalid(`${name} must be a non-negative safe integer`);
}

/** First leaf index covered by a subtree. */
export function subtreeStart(subtree: Subtree): number {
  return subtree.index * 2 ** subtree.level;
}

/** One past the last leaf index covered by a subtree. */
export function subtreeEnd(subtree: Subtree): number {
  return (subtree.index + 1) * 2 ** subtree.level;
}

/**
 * Splits D[start:end] into complete subtrees, left to right, each as large as alignment
 * allows. For the ranges RFC 9162 recursion produces (start aligned to a power of two at
 * least end − start), the sizes strictly decrease and foldRangeHash rebuilds MTH(D[start:end]).
 */
export function rangeSubtrees(start: number, end: number): Subtree[] {
  const out: Subtree[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

/** MTH of a range from the hashes of its rangeSubtrees: the right edge folds first. */
export function foldRangeHash(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc);
  return acc;
}

/** Key for de-duplicating subtree reads. */
function subtreeKey(subtree: Subtree): string {
  return `${subtree.level}/${subtree.index}`;
}

/**
 * Computes MTH for each range, reading every needed complete subtree once in a single
 * HashReader call (so a database or tile fetch is one round trip).
 */
export async function readRangeHashes(ranges: readonly (readonly [number, number])[], reader: HashReader): Promise<Uint8Array[]> {
  const plans = ranges.map(([start, end]) => rangeSubtrees(start, end));
  const unique = new Map<string, Subtree>();
  for (const plan of plans) for (const s of plan) unique.set(subtreeKey(s), s);
  const wanted = [...unique.values()];
  const hashes = wanted.length === 0 ? [] : await reader.readHashes(wanted);
  if (hashes.length !== wanted.length) {
    throw new HashMalformed(`hash reader returned ${hashes.length} hashes for ${wanted.length} subtrees`);
  }
  const byKey = new Map<string, Uint8Array>();
  wanted.forEach((s, i) => {
    const h = hashes[i];
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      throw new HashMalformed(`hash reader returned a malformed hash for subtree ${subtreeKey(s)}`);
    }
    byKey.set(subtreeKey(s), h);
  });
  return plans.map((plan) => foldRangeHash(plan.map((s) => byKey.get(subtreeKey(s))!)));
}
