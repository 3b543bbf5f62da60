import { generateConsistencyProof } from './consistency-proof.js';
import { EntryBundleMalformed, TileMalformed, TilePathMalformed, TreeRangeInvalid } from './errors.js';
import { generateInclusionProof } from './inclusion-proof.js';
import { MemoryHashStore, mapTileReader } from './memory-hash-store.testing.js';
import { rootFromHashes } from './tree-root.js';
import { NaiveMerkle, hex, hexList, makeEntries } from './naive-merkle.testing.js';
import {
  consistencyProofFromTiles,
  decodeEntryBundle,
  decodeTile,
  encodeEntryBundle,
  encodeTile,
  entryBundlePath,
  entryBundlesForTreeSize,
  inclusionProofFromTiles,
  parseTilePath,
  rootFromTiles,
  tilePath,
  tilesAddedBetween,
  tilesForTreeSize,
  tileWidth,
  type Tile,
  type TileReader,
} from './tiles.js';

describe('c2sp.org/tlog-tiles paths', () => {
  it('encodes tile indexes as x-prefixed 3-digit groups', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 1, index: 0, width: 256 })).toBe('tile/1/000');
    expect(tilePath({ level: 2, index: 5, width: 1 })).toBe('tile/2/005.p/1');
    expect(tilePath({ level: 0, index: 1000, width: 112 })).toBe('tile/0/x001/000.p/112');
    expect(tilePath({ level: 63, index: 999, width: 255 })).toBe('tile/63/999.p/255');
    expect(entryBundlePath({ index: 1234067, width: 256 })).toBe('tile/entries/x001/x234/067');
    expect(entryBundlePath({ index: 273, width: 112 })).toBe('tile/entries/273.p/112');
  });

  it('parses exactly the canonical paths', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ kind: 'tile', tile: { level: 0, index: 1234067, width: 256 } });
    expect(parseTilePath('tile/2/005.p/1')).toEqual({ kind: 'tile', tile: { level: 2, index: 5, width: 1 } });
    expect(parseTilePath('tile/entries/x001/000.p/255')).toEqual({ kind: 'entries', bundle: { index: 1000, width: 255 } });
    for (const bad of [
      'tile/0/5',
      'tile/0/x000/005',
      'tile/0/005.p/256',
      'tile/0/005.p/0',
      'tile/0/005.p/007',
      'tile/00/005',
      'tile/64/000',
      'tile/0/001/002',
      'tile/0/x001',
      '/tile/0/000',
      'tile/0/000/',
      'tile/entries/x001/x002',
      'tile/-1/000',
      'tile/0/0000',
    ]) {
      expect(() => parseTilePath(bad)).toThrow(TilePathMalformed);
    }
  });
});

describe('tiles of a tree', () => {
  it('lists the tiles of the spec example, a tree of size 70,000', () => {
    const tiles = [...tilesForTreeSize(70000)];
    const at = (level: number) => tiles.filter((t) => t.level === level);
    expect(at(0)).toHaveLength(274);
    expect(at(0).filter((t) => t.width === 256)).toHaveLength(273);
    expect(at(0)[273]).toEqual({ level: 0, index: 273, width: 112 });
    expect(at(1)).toEqual([
      { level: 1, index: 0, width: 256 },
      { level: 1, index: 1, width: 17 },
    ]);
    expect(at(2)).toEqual([{ level: 2, index: 0, width: 1 }]);
    expect(tiles).toHaveLength(277);
    expect([...tilesForTreeSize(256)]).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
    expect([...tilesForTreeSize(0)]).toEqual([]);
    expect(tileWidth(70000, 0, 274)).toBe(0);
  });

  it('lists as added exactly the tiles that are new or wider after growth', () => {
    const key = (t: Tile) => tilePath(t);
    for (const [a, b] of [
      [0, 1],
      [255, 256],
      [256, 257],
      [300, 70000],
      [65535, 65536],
      [69999, 70000],
      [70000, 70000],
    ] as const) {
      const before = new Set([...tilesForTreeSize(a)].map(key));
      const expected = [...tilesForTreeSize(b)].map(key).filter((k) => !before.has(k));
      expect([...tilesAddedBetween(a, b)].map(key).sort()).toEqual(expected.sort());
    }
    expect(() => [...tilesAddedBetween(5, 4)]).toThrow(TreeRangeInvalid);
  });

  it('lists the entry bundles of a tree', () => {
    expect([...entryBundlesForTreeSize(513)]).toEqual([
      { index: 0, width: 256 },
      { index: 1, width: 256 },
      { index: 2, width: 1 },
    ]);
    expect([...entryBundlesForTreeSize(0)]).toEqual([]);
  });
});

describe('tile and entry bundle bodies', () => {
  it('round-trips tiles and rejects truncated or padded ones', () => {
    const hashes = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)];
    const body = encodeTile(hashes);
    expect(body).toHaveLength(96);
    expect(decodeTile(body, 3).map(hex)).toEqual(hashes.map(hex));
    expect(() => decodeTile(body.slice(0, 95), 3)).toThrow(TileMalformed);
    expect(() => decodeTile(body.slice(0, 64), 3)).toThrow(TileMalformed);
    expect(() => decodeTile(new Uint8Array(97), 3)).toThrow(TileMalformed);
    expect(() => decodeTile(body, 0)).toThrow(TileMalformed);
    expect(() => decodeTile(new Uint8Array(257 * 32), 257)).toThrow(TileMalformed);
    expect(() => encodeTile([])).toThrow(TileMalformed);
  });

  it('round-trips entry bundles (big-endian uint16 lengths) and rejects malformed ones', () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)];
    const bundle = encodeEntryBundle(entries);
    expect(hex(bundle.slice(0, 5))).toBe('0003010203');
    expect(hex(bundle.slice(5, 9))).toBe('0000012c');
    expect(bundle).toHaveLength(2 + 3 + 2 + 2 + 300);
    expect(decodeEntryBundle(bundle, 3).map(hex)).toEqual(entries.map(hex));
    expect(() => decodeEntryBundle(bundle, 2)).toThrow(EntryBundleMalformed);
    expect(() => decodeEntryBundle(bundle, 4)).toThrow(EntryBundleMalformed);
    expect(() => decodeEntryBundle(bundle.slice(0, -1), 3)).toThrow(EntryBundleMalformed);
    expect(() => decodeEntryBundle(Uint8Array.of(...bundle, 0), 3)).toThrow(EntryBundleMalformed);
    expect(() => decodeEntryBundle(Uint8Array.of(0, 3, 1), 1)).toThrow(EntryBundleMalformed);
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(EntryBundleMalformed);
    expect(() => encodeEntryBundle([])).toThrow(EntryBundleMalformed);
  });
});

describe('proofs and roots computed from tiles', () => {
  const entries = makeEntries(600);
  const naive = new NaiveMerkle(entries);
  const store = MemoryHashStore.fromEntries(entries);

  it('equal the naive proofs for every size 1..300 (sampled indexes) and all indexes at tile edges', async () => {
    for (let n = 1; n <= 300; n++) {
      const tiles = mapTileReader(await store.tilesAt(n));
      expect(hex(await rootFromTiles(n, tiles))).toBe(hex(naive.root(n)));
      const indexes = [255, 256, 257, 300, 512].includes(n)
        ? Array.from({ length: n }, (_, i) => i)
        : [...new Set([0, Math.floor(n / 2), n - 1, (n * 37) % n])];
      for (const m of indexes) {
        expect(hexList(await inclusionProofFromTiles(m, n, tiles))).toEqual(hexList(naive.inclusionProof(m, n)));
      }
      for (const m of [...new Set([1, Math.ceil(n / 3), n - 1, n])].filter((m) => m >= 1 && m <= n)) {
        expect(hexList(await consistencyProofFromTiles(m, n, tiles))).toEqual(hexList(naive.consistencyProof(m, n)));
      }
    }
    const tiles512 = mapTileReader(await store.tilesAt(512));
    for (let m = 1; m <= 512; m++) {
      expect(hexList(await consistencyProofFromTiles(m, 512, tiles512))).toEqual(hexList(naive.consistencyProof(m, 512)));
    }
  });

  it('equal proofs from stored hashes in a three-level tree (size 70,000)', async () => {
    const big = MemoryHashStore.fromEntries(makeEntries(70000, 'big'));
    for (const size of [65536, 65537, 70000]) {
      const fetched: Tile[] = [];
      const tiles = mapTileReader(await big.tilesAt(size), fetched);
      expect(hex(await rootFromTiles(size, tiles))).toBe(hex(await rootFromHashes(size, big)));
      for (const m of [0, 1, 255, 256, 65535, size - 1, 40000, 65536 % size]) {
        expect(hexList(await inclusionProofFromTiles(m, size, tiles))).toEqual(hexList(await generateInclusionProof(m, size, big)));
      }
      for (const first of [1, 256, 257, 65535, 65536, size - 1, 12345]) {
        if (first > size) continue;
        const before = fetched.length;
        const proof = await consistencyProofFromTiles(first, size, tiles);
        expect(hexList(proof)).toEqual(hexList(await generateConsistencyProof(first, size, big)));
        // A proof needs at most a couple of tiles per tile level.
        expect(fetched.length - before).toBeLessThanOrEqual(6);
      }
    }
  });

  it('reject truncated and missing tiles with typed errors', async () => {
    const published = await store.tilesAt(300);
    const truncating: TileReader = {
      async readTiles(wanted) {
        return wanted.map((t) => published.get(tilePath(t))!.slice(0, -1));
      },
    };
    await expect(inclusionProofFromTiles(3, 300, truncating)).rejects.toThrow(TileMalformed);
    await expect(rootFromTiles(300, truncating)).rejects.toThrow(TileMalformed);
    const dropping: TileReader = { readTiles: async (wanted) => wanted.slice(1).map((t) => published.get(tilePath(t))!) };
    await expect(consistencyProofFromTiles(10, 300, dropping)).rejects.toThrow(TileMalformed);
    // A full tile passed off as the partial one is the wrong length too.
    const fullInsteadOfPartial: TileReader = { readTiles: async (wanted) => wanted.map(() => new Uint8Array(256 * 32)) };
    await expect(inclusionProofFromTiles(290, 300, fullInsteadOfPartial)).rejects.toThrow(TileMalformed);
    await expect(inclusionProofFromTiles(300, 300, mapTileReader(published))).rejects.toThrow(TreeRangeInvalid);
  });
});
