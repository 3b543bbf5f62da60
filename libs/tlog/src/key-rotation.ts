// Log key rotation. A log has one key name (its origin) and, during a rotation's overlap, two
// Ed25519 keys under it; c2sp.org/signed-note tells them apart by key ID, so checkpoints carry
// one signature line per key and a verifier that knows either key verifies them.
//
// A verifier pinned to the old key learns the new one from a key rotation statement: a signed
// note whose text names the log, the old and the new verifier key, signed by BOTH keys (the
// old key vouches for its successor, the new key shows it is held). Statements chain, so a
// verifier pinned several rotations ago follows them in order. Nothing else moves a pin.
import { parseVerifierKey } from './ed25519-note-key.js';
import { NoteMalformed, VerifierKeyMalformed } from './errors.js';
import { openSignedNote, signNote, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** First line of a key rotation statement. */
export const KEY_ROTATION_HEADER = 'mls-identity log key rotation v1';

export interface KeyRotation {
  readonly origin: string;
  readonly oldKey: string;
  readonly newKey: string;
}

export function formatKeyRotation(rotation: KeyRotation): string {
  return `${KEY_ROTATION_HEADER}\n${rotation.origin}\n${rotation.oldKey}\n${rotation.newKey}\n`;
}

/** Signs a statement with the old and the new key (both NoteSigners of the log's origin). */
export async function signKeyRotation(rotation: KeyRotation, oldSigner: NoteSigner, newSigner: NoteSigner): Promise<string> {
  return signNote(formatKeyRotation(rotation), [oldSigner, newSigner]);
}

function parseKeyRotationText(text: string): KeyRotation {
  const lines = text.split('\n');
  if (lines.length !== 5 || lines[0] !== KEY_ROTATION_HEADER || lines[4] !== '') {
    throw new NoteMalformed('not a log key rotation statement');
  }
  const [, origin, oldKey, newKey] = lines as [string, string, string, string, string];
  if (parseVerifierKey(oldKey).name !== origin || parseVerifierKey(newKey).name !== origin) {
    throw new VerifierKeyMalformed('a rotated key is not named for the log origin');
  }
  return { origin, oldKey, newKey };
}

/**
 * Splits a key endpoint body (one verifier key per line: during a rotation's overlap the old
 * and the new key) into its keys; blank lines are ignored, at least one key is required.
 */
export function parseVerifierKeys(text: string): string[] {
  if (typeof text !== 'string') throw new VerifierKeyMalformed('verifier keys must be text');
  const keys = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (keys.length === 0) throw new VerifierKeyMalformed('no verifier key');
  for (const k of keys) parseVerifierKey(k);
  return keys;
}

/**
 * The pinned keys extended by every statement, in order, that one of them signed (and the
 * successor countersigned): the keys a verifier pinned to `pinned` now trusts. Statements of
 * another origin or not signed by a pinned key are skipped; a statement whose pinned key's
 * signature is invalid throws (NoteSignatureInvalid), as any forged note would.
 */
export function followKeyRotations(pinned: readonly string[], statements: readonly string[]): string[] {
  const trusted = [...pinned];
  const origin = parseVerifierKey(pinned[0]!).name;
  for (const statement of statements) {
    let rotation: KeyRotation;
    try {
      rotation = parseKeyRotationText(statement.slice(0, statement.indexOf('\n\n') + 1));
    } catch {
      continue;
    }
    if (rotation.origin !== origin || !trusted.includes(rotation.oldKey) || trusted.includes(rotation.newKey)) continue;
    const oldVerifier: NoteVerifier = parseVerifierKey(rotation.oldKey);
    const newVerifier: NoteVerifier = parseVerifierKey(rotation.newKey);
    const opened = openSignedNote(statement, [oldVerifier, newVerifier]);
    const signedBy = (v: NoteVerifier) => opened.verified.some((s) => s.keyId === v.keyId);
    if (signedBy(oldVerifier) && signedBy(newVerifier)) trusted.push(rotation.newKey);
  }
  return trusted;
}
