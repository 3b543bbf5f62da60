import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { NoteMalformed, NoteSignatureInvalid, NoteUnverified } from './errors.js';

/**
 * c2sp.org/signed-note: a text ending in a newline, a blank line, then one or more lines
 * `— <key name> <base64(uint32 key ID ‖ signature)>`.
 */

/** U+2014 EM DASH and a space open every signature line. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';
/** The spec asks verifiers to cap signatures (accepting at least 16) or note size. */
export const MAX_NOTE_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 1024 * 1024;

/** One signature line. `signature` excludes the 4-byte key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A trusted public key. `verify` must not throw; it answers false for any bad signature. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A signing key in custody: `sign` returns the raw signature over `message` (the note text). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures by known keys, all verified. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by keys the caller did not pass (ignored, per the spec; e.g. witness cosignatures). */
  readonly unknown: readonly NoteSignature[];
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /\p{Surrogate}/u;
const UNICODE_SPACE = /\p{White_Space}/u;

/** Key names are non-empty and hold no Unicode space and no `+`. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !UNICODE_SPACE.test(name) && !name.includes('+') && !LONE_SURROGATE.test(name);
}

function noteToString(note: string | Uint8Array): string {
  if (typeof note === 'string') {
    if (LONE_SURROGATE.test(note)) throw new NoteMalformed('note is not valid UTF-8');
    if (utf8Encoder.encode(note).length > MAX_NOTE_BYTES) throw new NoteMalformed('note is too large');
    return note;
  }
  if (!(note instanceof Uint8Array)) throw new NoteMalformed('note must be a string or bytes');
  if (note.length > MAX_NOTE_BYTES) throw new NoteMalformed('note is too large');
  try {
    return utf8Decoder.decode(note);
  } catch {
    throw new NoteMalformed('note is not valid UTF-8');
  }
}

/** Checks a note text (what gets signed): non-empty, ends in a newline, no other control characters. */
export function assertNoteText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw new NoteMalformed('note text must end with a newline');
  if (FORBIDDEN_CONTROL.test(text)) throw new NoteMalformed('note contains a control character other than newline');
  if (LONE_SURROGATE.test(text)) throw new NoteMalformed('note text is not valid UTF-8');
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX)) throw new NoteMalformed('signature line must start with an em dash and a space');
  const fields = line.slice(SIGNATURE_LINE_PREFIX.length).split(' ');
  if (fields.length !== 2) throw new NoteMalformed('signature line must be "— <name> <signature>"');
  const [name, encoded] = fields as [string, string];
  if (!isValidKeyName(name)) throw new NoteMalformed('signature key name is empty or has a space or "+"');
  const bytes = decodeBase64Strict(encoded);
  if (bytes === null) throw new NoteMalformed('signature is not canonical base64');
  // A key ID alone is not a signature.
  if (bytes.length < 5) throw new NoteMalformed('signature is too short');
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  return { name, keyId, signature: bytes.slice(4) };
}

/**
 * Parses a signed note without checking signatures. The text ends at the last blank line.
 * Throws NoteMalformed on any deviation from the format.
 */
export function parseSignedNote(note: string | Uint8Array): SignedNote {
  const all = noteToString(note);
  if (FORBIDDEN_CONTROL.test(all)) throw new NoteMalformed('note contains a control character other than newline');
  if (!all.endsWith('\n')) throw new NoteMalformed('note must end with a newline');
  const split = all.lastIndexOf('\n\n');
  if (split < 0) throw new NoteMalformed('note has no blank line before its signatures');
  const text = all.slice(0, split + 1);
  const block = all.slice(split + 2);
  if (block.length === 0) throw new NoteMalformed('note has no signatures');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new NoteMalformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map(parseSignatureLine);
  const seen = new Set<string>();
  for (const s of signatures) {
    const key = `${s.keyId} ${s.name}`;
    if (seen.has(key)) throw new NoteMalformed(`note has two signatures by key ${s.name}`);
    seen.add(key);
  }
  return { text, signatures };
}

/**
 * Parses a note and verifies it against trusted keys (c2sp.org/signed-note "Signatures"):
 * signatures whose (name, key ID) match no known key are ignored; a known key's signature
 * that fails rejects the whole note (NoteSignatureInvalid); a note with no verified
 * signature is rejected (NoteUnverified).
 */
export function openSignedNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const parsed = parseSignedNote(note);
  const message = utf8Encoder.encode(parsed.text);
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const s of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === s.name && v.keyId === s.keyId);
    if (verifier === undefined) {
      unknown.push(s);
      continue;
    }
    if (!verifier.verify(message, s.signature)) throw new NoteSignatureInvalid(`signature by ${s.name} does not verify`);
    verified.push(s);
  }
  if (verified.length === 0) throw new NoteUnverified('note has no signature by a known key');
  return { text: parsed.text, verified, unknown };
}

/** Formats one signature line, without its newline. */
export function formatSignatureLine(signature: NoteSignature): string {
  const bytes = new Uint8Array(4 + signature.signature.length);
  new DataView(bytes.buffer).setUint32(0, signature.keyId, false);
  bytes.set(signature.signature, 4);
  return `${SIGNATURE_LINE_PREFIX}${signature.name} ${encodeBase64(bytes)}`;
}

/** Signs `text` with each signer and returns the signed note. */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  assertNoteText(text);
  if (signers.length === 0) throw new NoteMalformed('a signed note needs at least one signature');
  if (signers.length > MAX_NOTE_SIGNATURES) throw new NoteMalformed(`note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const message = utf8Encoder.encode(text);
  const lines: string[] = [];
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) throw new NoteMalformed('signer key name is empty or has a space or "+"');
    if (!Number.isInteger(signer.keyId) || signer.keyId < 0 || signer.keyId > 0xffffffff) throw new NoteMalformed('key ID must be a uint32');
    const signature = await signer.sign(message);
    if (!(signature instanceof Uint8Array) || signature.length === 0) throw new NoteSignatureInvalid(`signer ${signer.name} returned no signature`);
    lines.push(formatSignatureLine({ name: signer.name, keyId: signer.keyId, signature }));
  }
  const note = `${text}\n${lines.map((l) => `${l}\n`).join('')}`;
  // Re-parse so that a signer list that would produce an unparsable note (duplicates, size) never leaves here.
  parseSignedNote(note);
  return note;
}
