import { HashMalformed } from './errors.js';
import { MemoryHashStore } from './memory-hash-store.testing.js';
import { emptyTreeHash, merkleTreeHash } from './merkle-hash.js';
import { MerkleTreeBuilder } from './merkle-tree-builder.js';
import { NaiveMerkle, hex, makeEntries } from './naive-merkle.testing.js';
import { rootFromHashes } from './tree-root.js';

const entries = makeEntries(300);
const naive = new NaiveMerkle(entries);

describe('MerkleTreeBuilder', () => {
  it('has the RFC 9162 root after every append, and the empty-tree root SHA-256("")', () => {
    const builder = new MerkleTreeBuilder();
    expect(hex(builder.root())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(emptyTreeHash())).toBe(hex(builder.root()));
    entries.forEach((e, i) => {
      builder.appendEntry(e);
      expect(builder.size).toBe(i + 1);
      expect(hex(builder.root())).toBe(hex(naive.root(i + 1)));
    });
    expect(hex(merkleTreeHash(entries))).toBe(hex(naive.root(300)));
    expect(hex(merkleTreeHash(entries.slice(0, 7)))).toBe(hex(naive.root(7)));
  });

  it('reports exactly the complete subtrees each append finishes, with their hashes', () => {
    const builder = new MerkleTreeBuilder();
    const finishedAt = entries.map((e) => builder.appendEntry(e));
    // Leaf 11 (binary 1011) finishes levels 0, 1 and 2: leaves 11, 10–11 and 8–11.
    expect(finishedAt[11]!.map((s) => [s.level, s.index])).toEqual([
      [0, 11],
      [1, 5],
      [2, 2],
    ]);
    expect(finishedAt[255]!.map((s) => s.level)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const list of finishedAt) {
      for (const s of list) {
        const start = s.index * 2 ** s.level;
        expect(hex(s.hash)).toBe(hex(naive.mth(start, start + 2 ** s.level)));
      }
    }
    expect(finishedAt.flat()).toHaveLength(2 * 300 - popcount(300));
  });

  it('resumes from stored hashes and keeps growing the same tree', async () => {
    const store = MemoryHashStore.fromEntries(entries.slice(0, 173));
    const resumed = await MerkleTreeBuilder.resume(173, store);
    expect(resumed.size).toBe(173);
    expect(hex(resumed.root())).toBe(hex(naive.root(173)));
    expect(hex(await rootFromHashes(173, store))).toBe(hex(naive.root(173)));
    for (let i = 173; i < 300; i++) resumed.appendEntry(entries[i]!);
    expect(hex(resumed.root())).toBe(hex(naive.root(300)));
    expect(hex(await rootFromHashes(0, store))).toBe(hex(emptyTreeHash()));
  });

  it('rejects malformed leaf hashes and reader answers', async () => {
    expect(() => new MerkleTreeBuilder().appendLeafHash(new Uint8Array(31))).toThrow(HashMalformed);
    await expect(MerkleTreeBuilder.resume(5, { readHashes: async () => [] })).rejects.toThrow(HashMalformed);
    await expect(MerkleTreeBuilder.resume(5, { readHashes: async (s) => s.map(() => new Uint8Array(1)) })).rejects.toThrow(HashMalformed);
  });
});

function popcount(n: number): number {
  return n.toString(2).replaceAll('0', '').length;
}
