import { generateKeyPairSync, sign } from 'node:crypto';
import { ed25519NoteSigner, ed25519NoteVerifier, formatEd25519VerifierKey } from './ed25519-note-key.js';
import type { NoteSigner, NoteVerifier } from './signed-note.js';

/** A throwaway Ed25519 key standing in for a KeyStore-held log key. */
export interface TestNoteKey {
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
  readonly vkey: string;
  readonly rawSign: (message: Uint8Array) => Promise<Uint8Array>;
}

export function makeTestNoteKey(name: string): TestNoteKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  const rawSign = async (message: Uint8Array) => new Uint8Array(sign(null, message, privateKey));
  return {
    name,
    publicKey: raw,
    signer: ed25519NoteSigner(name, raw, rawSign),
    verifier: ed25519NoteVerifier(name, raw),
    vkey: formatEd25519VerifierKey(name, raw),
    rawSign,
  };
}
