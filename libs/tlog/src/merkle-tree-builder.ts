import { HashMalformed } from './errors.js';
import { HASH_SIZE, emptyTreeHash, hashChildren, hashLeaf } from './merkle-hash.js';
import { assertTreeSize, foldRangeHash, rangeSubtrees, type HashReader, type SubtreeHash } from './subtree.js';

/**
 * Grows a Merkle tree one leaf at a time while keeping only the ⌈log2 n⌉ hashes of its
 * right edge (the complete subtrees that D[0:n] splits into). The sequencer uses it to learn
 * which complete-subtree hashes each append creates (to store them, and build tiles from
 * them); verifiers use it to rebuild a root from millions of entries in constant memory.
 */
export class MerkleTreeBuilder {
  #size = 0;
  /** Right-edge subtrees, largest (leftmost) first. */
  #edge: SubtreeHash[] = [];

  /** Continues a tree of `size` leaves whose complete-subtree hashes `reader` holds. */
  static async resume(size: number, reader: HashReader): Promise<MerkleTreeBuilder> {
    assertTreeSize('size', size);
    const builder = new MerkleTreeBuilder();
    if (size === 0) return builder;
    const subtrees = rangeSubtrees(0, size);
    const hashes = await reader.readHashes(subtrees);
    if (hashes.length !== subtrees.length) throw new HashMalformed('hash reader returned the wrong number of hashes');
    builder.#edge = subtrees.map((s, i) => {
      const hash = hashes[i];
      if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) throw new HashMalformed('hash reader returned a malformed hash');
      return { ...s, hash };
    });
    builder.#size = size;
    return builder;
  }

  get size(): number {
    return this.#size;
  }

  /** Appends an entry; returns the complete subtrees it finished (its own leaf first). */
  appendEntry(entry: Uint8Array): SubtreeHash[] {
    return this.appendLeafHash(hashLeaf(entry));
  }

  /** Appends a leaf by hash; returns the complete subtrees it finished (level 0 first). */
  appendLeafHash(leafHash: Uint8Array): SubtreeHash[] {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) throw new HashMalformed('leaf hash must be 32 bytes');
    let node: SubtreeHash = { level: 0, index: this.#size, hash: leafHash };
    const finished: SubtreeHash[] = [node];
    for (;;) {
      const last = this.#edge[this.#edge.length - 1];
      if (last === undefined || last.level !== node.level) break;
      this.#edge.pop();
      node = { level: node.level + 1, index: last.index / 2, hash: hashChildren(last.hash, node.hash) };
      finished.push(node);
    }
    this.#edge.push(node);
    this.#size += 1;
    return finished;
  }

  /** RFC 9162 §2.1.1 MTH of the leaves appended so far. */
  root(): Uint8Array {
    if (this.#size === 0) return emptyTreeHash();
    return foldRangeHash(this.#edge.map((s) => s.hash));
  }
}
