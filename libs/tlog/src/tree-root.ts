import { emptyTreeHash } from './merkle-hash.js';
import { assertTreeSize, readRangeHashes, type HashReader } from './subtree.js';

/** RFC 9162 §2.1.1 MTH(D[0:size]) from stored complete-subtree hashes: ⌈log2 size⌉ reads at most. */
export async function rootFromHashes(size: number, reader: HashReader): Promise<Uint8Array> {
  assertTreeSize('size', size);
  if (size === 0) return emptyTreeHash();
  const [root] = await readRangeHashes([[0, size]], reader);
  return root!;
}
