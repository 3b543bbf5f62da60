import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { verifyConsistencyProof } from './consistency-proof.js';
import { ConsistencyProofInvalid, LogEntriesMismatch, LogInconsistent } from './errors.js';
import { verifyInclusionProof } from './inclusion-proof.js';
import { hashLeaf, hashesEqual } from './merkle-hash.js';
import { MerkleTreeBuilder } from './merkle-tree-builder.js';
import type { NoteVerifier } from './signed-note.js';
import { consistencyProofFromTiles, type TileReader } from './tiles.js';

/**
 * The client-side log verifier (CLI `mlsid log verify`, client SDK) as pure functions over a
 * state the caller keeps: the last checkpoint it accepted. A checkpoint is accepted only if
 * a trusted key signed it and, when a previous one exists, a consistency proof ties them.
 * Failures are typed: SignatureFailure (bad or missing signature), LogInconsistent (fork or
 * rollback), MalformedInput, CheckpointOriginMismatch.
 */

export interface LogVerifierConfig {
  /** The checkpoint origin of the log followed, e.g. `id.example.com/kt/acme`. */
  readonly origin: string;
  /** The log's key (parseVerifierKey of GET /kt/{org}/key, pinned out of band). */
  readonly verifiers: readonly NoteVerifier[];
}

export interface VerifierState {
  readonly checkpoint: Checkpoint;
  /** The signed note as received: what a state file stores and what proves a fork to others. */
  readonly note: string;
}

/** Re-opens a stored state (e.g. a state file), checking its signature again. */
export function restoreVerifierState(config: LogVerifierConfig, note: string | Uint8Array): VerifierState {
  const opened = openCheckpoint(note, config.verifiers, config.origin);
  return { checkpoint: opened.checkpoint, note: opened.note };
}

/**
 * Accepts `note` as the newest checkpoint if it is signed by a trusted key and
 * `consistencyProof` proves it extends `state` (ignored when there is no state yet). Returns
 * the new state; the old one stays valid when this throws.
 */
export function acceptCheckpoint(
  config: LogVerifierConfig,
  state: VerifierState | null,
  note: string | Uint8Array,
  consistencyProof: readonly Uint8Array[],
): VerifierState {
  const opened = openCheckpoint(note, config.verifiers, config.origin);
  const next = { checkpoint: opened.checkpoint, note: opened.note };
  if (state === null) return next;
  assertConsistent(state.checkpoint, next.checkpoint, consistencyProof);
  return next;
}

/**
 * Like acceptCheckpoint, computing the consistency proof from the new tree's tiles. Tiles
 * are untrusted; a wrong tile makes the proof fail, which reads as LogInconsistent.
 */
export async function acceptCheckpointFromTiles(
  config: LogVerifierConfig,
  state: VerifierState | null,
  note: string | Uint8Array,
  tiles: TileReader,
): Promise<VerifierState> {
  const opened = openCheckpoint(note, config.verifiers, config.origin);
  const next = { checkpoint: opened.checkpoint, note: opened.note };
  if (state === null) return next;
  if (next.checkpoint.size < state.checkpoint.size) throw rollback(state.checkpoint, next.checkpoint);
  const proof = await consistencyProofFromTiles(state.checkpoint.size, next.checkpoint.size, tiles);
  assertConsistent(state.checkpoint, next.checkpoint, proof);
  return next;
}

function rollback(old: Checkpoint, next: Checkpoint): LogInconsistent {
  return new LogInconsistent(`log went back from size ${old.size} to ${next.size}`);
}

/** Throws LogInconsistent unless `next` extends `old` according to `proof`. */
export function assertConsistent(old: Checkpoint, next: Checkpoint, proof: readonly Uint8Array[]): void {
  if (next.size < old.size) throw rollback(old, next);
  try {
    verifyConsistencyProof(old.size, next.size, old.rootHash, next.rootHash, proof);
  } catch (cause) {
    if (cause instanceof ConsistencyProofInvalid) {
      throw new LogInconsistent(`checkpoint of size ${next.size} is not consistent with size ${old.size}: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

/** Checks that `entry` is at `index` in the tree `checkpoint` signs (RFC 9162 §2.1.3.2). */
export function verifyEntryInclusion(checkpoint: Checkpoint, index: number, entry: Uint8Array, proof: readonly Uint8Array[]): void {
  verifyInclusionProof(index, checkpoint.size, hashLeaf(entry), proof, checkpoint.rootHash);
}

/**
 * Replays every entry of the log and checks that they are exactly `checkpoint.size` entries
 * hashing to its root (constant memory). Throws LogEntriesMismatch otherwise.
 */
export async function verifyEntriesMatchCheckpoint(checkpoint: Checkpoint, entries: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  const builder = new MerkleTreeBuilder();
  for await (const entry of entries) {
    if (builder.size === checkpoint.size) throw new LogEntriesMismatch(`log serves more than ${checkpoint.size} entries`);
    builder.appendEntry(entry);
  }
  if (builder.size !== checkpoint.size) throw new LogEntriesMismatch(`log serves ${builder.size} entries, checkpoint has ${checkpoint.size}`);
  if (!hashesEqual(builder.root(), checkpoint.rootHash)) throw new LogEntriesMismatch('log entries do not hash to the checkpoint root');
}
