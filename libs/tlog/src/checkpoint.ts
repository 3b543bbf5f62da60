import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { CheckpointMalformed, CheckpointOriginMismatch } from './errors.js';
import { HASH_SIZE } from './merkle-hash.js';
import { openSignedNote, signNote, type NoteSignature, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** c2sp.org/tlog-checkpoint note text: origin, tree size, root hash, optional extension lines. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed note exactly as received, to store and re-verify later. */
  readonly note: string;
  readonly verified: readonly NoteSignature[];
  readonly unknown: readonly NoteSignature[];
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;
const FORBIDDEN_CONTROL = /[\u0000-\u001f]/;

function assertLine(what: string, line: string): void {
  if (typeof line !== 'string' || line.length === 0) throw new CheckpointMalformed(`${what} must be non-empty`);
  if (FORBIDDEN_CONTROL.test(line)) throw new CheckpointMalformed(`${what} contains a control character`);
}

/** The note text of a checkpoint, byte for byte: each line followed by a newline. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  assertLine('origin', checkpoint.origin);
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) throw new CheckpointMalformed('tree size must be a non-negative safe integer');
  if (!(checkpoint.rootHash instanceof Uint8Array) || checkpoint.rootHash.length !== HASH_SIZE) {
    throw new CheckpointMalformed('root hash must be 32 bytes');
  }
  for (const e of checkpoint.extensions) assertLine('extension line', e);
  const lines = [checkpoint.origin, String(checkpoint.size), encodeBase64(checkpoint.rootHash), ...checkpoint.extensions];
  return lines.map((l) => `${l}\n`).join('');
}

/** Parses a checkpoint note text (already separated from its signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new CheckpointMalformed('checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointMalformed('checkpoint needs origin, tree size and root hash lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  assertLine('origin', origin);
  if (!TREE_SIZE.test(sizeLine)) throw new CheckpointMalformed('tree size must be decimal without leading zeroes');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new CheckpointMalformed('tree size is too large');
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === null || rootHash.length !== HASH_SIZE) throw new CheckpointMalformed('root hash must be base64 of 32 bytes');
  for (const e of extensions) assertLine('extension line', e);
  return { origin, size, rootHash, extensions };
}

/** Signs a checkpoint with the log key (and any others): the text of a GET /checkpoint response. */
export async function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Verifies a signed checkpoint with trusted keys and parses it. When `origin` is given, the
 * checkpoint must be for that log (CheckpointOriginMismatch otherwise).
 */
export function openCheckpoint(note: string | Uint8Array, verifiers: readonly NoteVerifier[], origin?: string): OpenedCheckpoint {
  const opened = openSignedNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new CheckpointOriginMismatch(`checkpoint is for log ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(origin)}`);
  }
  // Decoded exactly as the verified bytes were (a leading BOM is kept, not stripped).
  const noteText = typeof note === 'string' ? note : new TextDecoder('utf-8', { ignoreBOM: true }).decode(note);
  return { checkpoint, note: noteText, verified: opened.verified, unknown: opened.unknown };
}
