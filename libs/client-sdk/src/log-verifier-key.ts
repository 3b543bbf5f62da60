// c2sp.org/signed-note Ed25519 verifier keys checked with WebCrypto. libs/tlog verifies notes
// through a synchronous NoteVerifier; WebCrypto is asynchronous, so the signature of one
// note is checked here first and tlog is given a verifier that accepts exactly that
// (message, signature) pair. tlog then does everything else (parsing, origin, consistency).
import { parseSignedNote, type NoteVerifier } from '#tlog';
import { bytesEqual, decodeBase64, encodeHex, utf8 } from './base64.js';
import { LogVerificationFailed } from './errors.js';
import { sha256, webCrypto } from './web-crypto.js';

const ED25519_SIGNATURE_TYPE = 0x01;

export interface LogVerifierKey {
  /** The key name, which is also the checkpoint origin (`host/kt/{org}`). */
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** The verifier key text as pinned: `name+hexid+base64(0x01 ‖ key)`. */
  readonly text: string;
}

/** Parses and checks a verifier key: Ed25519 only, key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]. */
export async function parseLogVerifierKey(text: string, crypto?: Crypto): Promise<LogVerifierKey> {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(typeof text === 'string' ? text.trim() : '');
  if (!m) throw new LogVerificationFailed('the log verifier key is not <name>+<hex key ID>+<base64 key>');
  const [, name, hexId, encoded] = m as unknown as [string, string, string, string];
  let material: Uint8Array;
  try {
    material = decodeBase64(encoded, 'verifier key');
  } catch {
    throw new LogVerificationFailed('the log verifier key material is not base64');
  }
  if (material.length !== 33 || material[0] !== ED25519_SIGNATURE_TYPE) throw new LogVerificationFailed('the log verifier key is not an Ed25519 key');
  const publicKey = material.slice(1);
  const digest = await sha256(new Uint8Array([...utf8(name), 0x0a, ED25519_SIGNATURE_TYPE, ...publicKey]), crypto);
  const keyId = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
  if (keyId !== parseInt(hexId, 16)) throw new LogVerificationFailed('the log verifier key ID does not match its name and key');
  return { name, keyId, publicKey, text: text.trim() };
}

/**
 * A NoteVerifier for `note` only: the pinned key's signature on it is verified now with
 * WebCrypto; tlog's later synchronous check then answers from that result.
 */
export async function noteVerifierFor(key: LogVerifierKey, note: string, crypto?: Crypto): Promise<NoteVerifier> {
  const parsed = parseSignedNote(note);
  const message = utf8(parsed.text);
  const subtle = webCrypto(crypto).subtle;
  const publicKey = await subtle.importKey('raw', key.publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
  const good = new Set<string>();
  for (const s of parsed.signatures) {
    if (s.name !== key.name || s.keyId !== key.keyId || s.signature.length !== 64) continue;
    if (await subtle.verify({ name: 'Ed25519' }, publicKey, s.signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>)) {
      good.add(encodeHex(s.signature));
    }
  }
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (m, signature) => bytesEqual(m, message) && good.has(encodeHex(signature)),
  };
}
