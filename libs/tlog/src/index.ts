export * from './errors.js';
export { HASH_SIZE, emptyTreeHash, hashChildren, hashLeaf, hashesEqual, merkleTreeHash, merkleTreeHashOfLeafHashes } from './merkle-hash.js';
export { MAX_TREE_SIZE, rangeSubtrees, subtreeEnd, subtreeStart, type HashReader, type Subtree, type SubtreeHash } from './subtree.js';
export { MerkleTreeBuilder } from './merkle-tree-builder.js';
export { rootFromHashes } from './tree-root.js';
export { generateInclusionProof, inclusionProofRanges, rootFromInclusionProof, verifyInclusionProof } from './inclusion-proof.js';
export { consistencyProofRanges, generateConsistencyProof, verifyConsistencyProof } from './consistency-proof.js';
export {
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  formatSignatureLine,
  isValidKeyName,
  openSignedNote,
  parseSignedNote,
  signNote,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type SignedNote,
} from './signed-note.js';
export {
  ED25519_SIGNATURE_TYPE,
  ed25519KeyId,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatEd25519VerifierKey,
  parseVerifierKey,
} from './ed25519-note-key.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint, type OpenedCheckpoint } from './checkpoint.js';
export {
  MAX_ENTRY_SIZE,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  consistencyProofFromTiles,
  decodeEntryBundle,
  decodeTile,
  encodeEntryBundle,
  encodeTile,
  entryBundlePath,
  entryBundlesForTreeSize,
  entryBundleWidth,
  inclusionProofFromTiles,
  parseTilePath,
  rootFromTiles,
  tileHashReader,
  tilePath,
  tileSubtrees,
  tilesAddedBetween,
  tilesForTreeSize,
  tileWidth,
  type EntryBundleCoordinate,
  type ParsedTilePath,
  type Tile,
  type TileReader,
} from './tiles.js';
export {
  AUDIT_ANCHOR_ENTRY_VERSION,
  ENTRY_VERSION,
  KEY_EVENT_TYPES,
  REMOVAL_ENTRY_VERSION,
  REMOVAL_EVENT_TYPES,
  decodeKeyEvent,
  encodeKeyEvent,
  type KeyEvent,
  type AuditAnchorFields,
  type KeyEventType,
  type RemovalFields,
} from './entry.js';
export {
  acceptCheckpoint,
  acceptCheckpointFromTiles,
  assertConsistent,
  restoreVerifierState,
  verifyEntriesMatchCheckpoint,
  verifyEntryInclusion,
  type LogVerifierConfig,
  type VerifierState,
} from './verifier.js';
export { KEY_ROTATION_HEADER, followKeyRotations, formatKeyRotation, parseVerifierKeys, signKeyRotation, type KeyRotation } from './key-rotation.js';
