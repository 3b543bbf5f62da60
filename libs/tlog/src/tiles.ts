import { consistencyProofRanges } from './consistency-proof.js';
import { EntryBundleMalformed, HashMalformed, TileMalformed, TilePathMalformed, TreeRangeInvalid } from './errors.js';
import { inclusionProofRanges } from './inclusion-proof.js';
import { HASH_SIZE, emptyTreeHash, hashChildren } from './merkle-hash.js';
import { assertTreeSize, readRangeHashes, type HashReader, type Subtree } from './subtree.js';

/** c2sp.org/tlog-tiles: a full tile holds 256 hashes, i.e. spans 8 Merkle tree levels. */
export const TILE_WIDTH = 256;
export const TILE_HEIGHT = 8;
/** c2sp.org/tlog-tiles: `<L>` is between 0 and 63. */
export const MAX_TILE_LEVEL = 63;
/** Entry bundles prefix each entry with a big-endian uint16 length. */
export const MAX_ENTRY_SIZE = 0xffff;

/**
 * The n-th tile at tile level l, `width` hashes wide (256 for a full tile, 1–255 for a
 * partial one). Hash i is MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l]), i.e. the
 * complete subtree at tree level 8·l, index n·256 + i.
 */
export interface Tile {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** The n-th entry bundle (entries n·256 … n·256 + width − 1). */
export interface EntryBundleCoordinate {
  readonly index: number;
  readonly width: number;
}

/**
 * Source of tiles for computing proofs from tiles (HTTP fetches in the CLI and SDK, storage
 * on the server). Tiles are untrusted: proofs computed from them are verified against a
 * signed checkpoint; wrong-length tiles are rejected here with TileMalformed.
 */
export interface TileReader {
  readTiles(tiles: readonly Tile[]): Promise<readonly Uint8Array[]>;
}

/** Number of hashes a tree of `size` leaves has at tile level `level`: floor(size / 256^level). */
function hashesAtTileLevel(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * Width of tile (level, index) in the tree of `size` leaves, or 0 when that tree has no
 * such tile (c2sp.org/tlog-tiles "Partial Tiles": floor(s / 256^l) mod 256 for the last one).
 */
export function tileWidth(size: number, level: number, index: number): number {
  const count = hashesAtTileLevel(size, level) - index * TILE_WIDTH;
  if (count <= 0) return 0;
  return Math.min(count, TILE_WIDTH);
}

/** Width of entry bundle `index` in the tree of `size` leaves (0: no such bundle yet). */
export function entryBundleWidth(size: number, index: number): number {
  return tileWidth(size, 0, index);
}

/** Every tile a tree of `size` leaves has, level by level, left to right. */
export function* tilesForTreeSize(size: number): Generator<Tile> {
  yield* tilesAddedBetween(0, size);
}

/**
 * The tiles of the tree of `newSize` leaves that the tree of `oldSize` did not have at that
 * width: new tiles and partial tiles that grew. A log writes exactly these after growing.
 */
export function* tilesAddedBetween(oldSize: number, newSize: number): Generator<Tile> {
  assertTreeSize('oldSize', oldSize);
  assertTreeSize('newSize', newSize);
  if (oldSize > newSize) throw new TreeRangeInvalid(`tree size ${oldSize} is larger than ${newSize}`);
  for (let level = 0; level <= MAX_TILE_LEVEL && hashesAtTileLevel(newSize, level) > 0; level++) {
    const oldCount = hashesAtTileLevel(oldSize, level);
    const newCount = hashesAtTileLevel(newSize, level);
    if (newCount === oldCount) continue;
    for (let index = Math.floor(oldCount / TILE_WIDTH); index * TILE_WIDTH < newCount; index++) {
      yield { level, index, width: tileWidth(newSize, level, index) };
    }
  }
}

/** Every entry bundle of the tree of `size` leaves, in order (the last one may be partial). */
export function* entryBundlesForTreeSize(size: number): Generator<EntryBundleCoordinate> {
  assertTreeSize('size', size);
  for (let index = 0; index * TILE_WIDTH < size; index++) yield { index, width: entryBundleWidth(size, index) };
}

/** The complete subtrees whose hashes a tile holds, in tile order. */
export function tileSubtrees(tile: Tile): Subtree[] {
  assertTile(tile);
  const level = tile.level * TILE_HEIGHT;
  return Array.from({ length: tile.width }, (_, i) => ({ level, index: tile.index * TILE_WIDTH + i }));
}

/** c2sp.org/tlog-tiles tile body: the hashes concatenated. */
export function encodeTile(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length < 1 || hashes.length > TILE_WIDTH) throw new TileMalformed(`a tile holds 1 to ${TILE_WIDTH} hashes`);
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) throw new HashMalformed('tile hash must be 32 bytes');
    out.set(h, i * HASH_SIZE);
  });
  return out;
}

/** Splits a tile body into its hashes; it must be exactly `width` hashes long. */
export function decodeTile(bytes: Uint8Array, width: number): Uint8Array[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new TileMalformed('tile width must be 1 to 256');
  if (!(bytes instanceof Uint8Array) || bytes.length !== width * HASH_SIZE) {
    throw new TileMalformed(`tile must be ${width * HASH_SIZE} bytes for width ${width}`);
  }
  return Array.from({ length: width }, (_, i) => bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
}

/** c2sp.org/tlog-tiles entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length < 1 || entries.length > TILE_WIDTH) throw new EntryBundleMalformed(`a bundle holds 1 to ${TILE_WIDTH} entries`);
  let total = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw new EntryBundleMalformed(`entry longer than ${MAX_ENTRY_SIZE} bytes`);
    total += 2 + e.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) {
    out[at] = e.length >>> 8;
    out[at + 1] = e.length & 0xff;
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

/** Parses an entry bundle that must hold exactly `width` entries and nothing after them. */
export function decodeEntryBundle(bytes: Uint8Array, width: number): Uint8Array[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new EntryBundleMalformed('bundle width must be 1 to 256');
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (entries.length === width) throw new EntryBundleMalformed(`entry bundle holds more than ${width} entries`);
    if (at + 2 > bytes.length) throw new EntryBundleMalformed('entry bundle truncated in a length prefix');
    const length = (bytes[at]! << 8) | bytes[at + 1]!;
    if (at + 2 + length > bytes.length) throw new EntryBundleMalformed('entry bundle truncated in an entry');
    entries.push(bytes.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (entries.length !== width) throw new EntryBundleMalformed(`entry bundle holds ${entries.length} entries, expected ${width}`);
  return entries;
}

/** `<N>` of c2sp.org/tlog-tiles: 3-digit groups, all but the last prefixed with `x`. */
function encodeTileIndex(index: number): string {
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function widthSuffix(width: number): string {
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]` (no leading slash; the caller prepends the log prefix). */
export function tilePath(tile: Tile): string {
  assertTile(tile);
  return `tile/${tile.level}/${encodeTileIndex(tile.index)}${widthSuffix(tile.width)}`;
}

/** `tile/entries/<N>[.p/<W>]`. */
export function entryBundlePath(bundle: EntryBundleCoordinate): string {
  assertTile({ level: 0, ...bundle });
  return `tile/entries/${encodeTileIndex(bundle.index)}${widthSuffix(bundle.width)}`;
}

export type ParsedTilePath = { kind: 'tile'; tile: Tile } | { kind: 'entries'; bundle: EntryBundleCoordinate };

/**
 * Parses a request path relative to the log prefix (`tile/…`). Only the canonical spelling
 * is accepted (no extra leading zeroes, no `.p/256`), so each resource has one path and caches
 * cannot be split or poisoned with aliases.
 */
export function parseTilePath(path: string): ParsedTilePath {
  const m = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (m === null) throw new TilePathMalformed('not a tile path');
  const index = Number(m[2]!.replace(/[x/]/g, ''));
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (!Number.isSafeInteger(index) || (m[3] !== undefined && width >= TILE_WIDTH)) throw new TilePathMalformed('tile index or width out of range');
  if (m[1] === 'entries') {
    const bundle = { index, width };
    if (entryBundlePath(bundle) !== path) throw new TilePathMalformed('tile path is not in canonical form');
    return { kind: 'entries', bundle };
  }
  const level = Number(m[1]);
  if (level > MAX_TILE_LEVEL) throw new TilePathMalformed('tile level out of range');
  const tile = { level, index, width };
  if (tilePath(tile) !== path) throw new TilePathMalformed('tile path is not in canonical form');
  return { kind: 'tile', tile };
}

function assertTile(tile: Tile): void {
  if (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > MAX_TILE_LEVEL) throw new TreeRangeInvalid('tile level must be 0 to 63');
  if (!Number.isSafeInteger(tile.index) || tile.index < 0) throw new TreeRangeInvalid('tile index must be a non-negative safe integer');
  if (!Number.isInteger(tile.width) || tile.width < 1 || tile.width > TILE_WIDTH) throw new TreeRangeInvalid('tile width must be 1 to 256');
}

/** MTH of a power-of-two run of sibling hashes. */
function perfectTreeHash(hashes: Uint8Array[]): Uint8Array {
  let level = hashes;
  while (level.length > 1) {
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(hashChildren(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}

/**
 * A HashReader over the tiles of the tree of `size` leaves. A subtree at tree level 8·l + r
 * is the MTH of 2^r consecutive hashes of one tile at tile level l (they never straddle two
 * tiles, as 2^r ≤ 128 and the run is aligned), so each needed tile is read once per call.
 */
export function tileHashReader(size: number, tiles: TileReader): HashReader {
  assertTreeSize('size', size);
  return {
    async readHashes(subtrees) {
      const plans = subtrees.map((s) => {
        const tileLevel = Math.floor(s.level / TILE_HEIGHT);
        const span = 2 ** (s.level % TILE_HEIGHT);
        const first = s.index * span;
        const tileIndex = Math.floor(first / TILE_WIDTH);
        const width = tileWidth(size, tileLevel, tileIndex);
        const offset = first % TILE_WIDTH;
        if (tileLevel > MAX_TILE_LEVEL || offset + span > width) {
          throw new TreeRangeInvalid(`subtree ${s.level}/${s.index} is not complete in a tree of size ${size}`);
        }
        return { tile: { level: tileLevel, index: tileIndex, width }, offset, span };
      });
      const unique = new Map<string, Tile>();
      for (const p of plans) unique.set(tilePath(p.tile), p.tile);
      const wanted = [...unique.values()];
      const bodies = wanted.length === 0 ? [] : await tiles.readTiles(wanted);
      if (bodies.length !== wanted.length) throw new TileMalformed(`tile reader returned ${bodies.length} tiles for ${wanted.length}`);
      const decoded = new Map<string, Uint8Array[]>();
      wanted.forEach((t, i) => decoded.set(tilePath(t), decodeTile(bodies[i]!, t.width)));
      return plans.map((p) => perfectTreeHash(decoded.get(tilePath(p.tile))!.slice(p.offset, p.offset + p.span)));
    },
  };
}

/** RFC 9162 §2.1.3.1 inclusion proof computed from the tiles of the tree of `size` leaves. */
export async function inclusionProofFromTiles(index: number, size: number, tiles: TileReader): Promise<Uint8Array[]> {
  return readRangeHashes(inclusionProofRanges(index, size), tileHashReader(size, tiles));
}

/** RFC 9162 §2.1.4.1 consistency proof computed from the tiles of the tree of `second` leaves. */
export async function consistencyProofFromTiles(first: number, second: number, tiles: TileReader): Promise<Uint8Array[]> {
  return readRangeHashes(consistencyProofRanges(first, second), tileHashReader(second, tiles));
}

/** MTH(D[0:size]) computed from the tiles of that tree. */
export async function rootFromTiles(size: number, tiles: TileReader): Promise<Uint8Array> {
  assertTreeSize('size', size);
  if (size === 0) return emptyTreeHash();
  const [root] = await readRangeHashes([[0, size]], tileHashReader(size, tiles));
  return root!;
}
