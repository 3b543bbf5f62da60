import { MerkleTreeBuilder } from './merkle-tree-builder.js';
import type { HashReader, Subtree } from './subtree.js';
import { encodeTile, tilePath, tileSubtrees, tilesForTreeSize, type Tile, type TileReader } from './tiles.js';

/**
 * Test double of the server's hash storage: every complete-subtree hash the builder emits,
 * keyed by level/index, counting reads so tests can bound proof cost.
 */
export class MemoryHashStore implements HashReader {
  readonly hashes = new Map<string, Uint8Array>();
  readonly builder = new MerkleTreeBuilder();
  readCalls = 0;
  hashesRead = 0;

  static fromEntries(entries: readonly Uint8Array[]): MemoryHashStore {
    const store = new MemoryHashStore();
    for (const e of entries) store.append(e);
    return store;
  }

  append(entry: Uint8Array): void {
    for (const s of this.builder.appendEntry(entry)) this.hashes.set(`${s.level}/${s.index}`, s.hash);
  }

  async readHashes(subtrees: readonly Subtree[]): Promise<Uint8Array[]> {
    this.readCalls++;
    this.hashesRead += subtrees.length;
    return subtrees.map((s) => {
      const h = this.hashes.get(`${s.level}/${s.index}`);
      if (!h) throw new Error(`no stored hash for incomplete subtree ${s.level}/${s.index}`);
      return h;
    });
  }

  /** The tiles a tile-serving log would publish at `size`, built from stored hashes. */
  async tilesAt(size: number): Promise<Map<string, Uint8Array>> {
    const tiles = new Map<string, Uint8Array>();
    for (const tile of tilesForTreeSize(size)) tiles.set(tilePath(tile), encodeTile(await this.readHashes(tileSubtrees(tile))));
    return tiles;
  }
}

/** A TileReader over a map of published tiles, recording which tiles were fetched. */
export function mapTileReader(tiles: Map<string, Uint8Array>, fetched: Tile[] = []): TileReader {
  return {
    async readTiles(wanted) {
      fetched.push(...wanted);
      return wanted.map((t) => {
        const body = tiles.get(tilePath(t));
        if (!body) throw new Error(`tile ${tilePath(t)} not published`);
        return body;
      });
    },
  };
}
