// Portable (Node and browsers alike, synchronous as NoteVerifier must be): SHA-256 from
// @noble/hashes and Ed25519 verification from @noble/curves, the audited library ts-mls
// already verifies MLS signatures with.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { NoteSignatureInvalid, VerifierKeyMalformed } from './errors.js';
import { isValidKeyName, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** c2sp.org/signed-note signature type byte for Ed25519. */
export const ED25519_SIGNATURE_TYPE = 0x01;
const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;

function assertEd25519Key(name: string, publicKey: Uint8Array): void {
  if (!isValidKeyName(name)) throw new VerifierKeyMalformed('key name is empty or has a space or "+"');
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new VerifierKeyMalformed('Ed25519 public key must be 32 bytes');
  }
}

/** Key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], as a big-endian uint32. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  assertEd25519Key(name, publicKey);
  const digest = sha256
    .create()
    .update(new TextEncoder().encode(name))
    .update(Uint8Array.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(publicKey)
    .digest();
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0, false);
}

/** A NoteVerifier for an Ed25519 key (RFC 8032 signatures over the note text). */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  const keyId = ed25519KeyId(name, publicKey);
  const key = Uint8Array.from(publicKey);
  return {
    name,
    keyId,
    verify(message, signature) {
      if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
      try {
        // zip215: false is RFC 8032 §5.1.7 strict verification, as OpenSSL does: one
        // signature verifies under the same rules in the service, the CLI and browsers
        return ed25519.verify(signature, message, key, { zip215: false });
      } catch {
        return false;
      }
    },
  };
}

/**
 * A NoteSigner around a key kept elsewhere (the KeyStore): `sign` receives the note text and
 * returns the 64-byte Ed25519 signature. Each signature is checked against `publicKey` before
 * use, so a KeyStore answering with another key or garbage never yields a published note.
 */
export function ed25519NoteSigner(name: string, publicKey: Uint8Array, sign: (message: Uint8Array) => Promise<Uint8Array>): NoteSigner {
  const verifier = ed25519NoteVerifier(name, publicKey);
  return {
    name,
    keyId: verifier.keyId,
    async sign(message) {
      const signature = await sign(message);
      if (!(signature instanceof Uint8Array) || !verifier.verify(message, signature)) {
        throw new NoteSignatureInvalid(`key store signature for ${name} does not verify with its public key`);
      }
      return signature;
    },
  };
}

/** The verifier key text `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`. */
export function formatEd25519VerifierKey(name: string, publicKey: Uint8Array): string {
  const keyId = ed25519KeyId(name, publicKey);
  const material = new Uint8Array(1 + ED25519_PUBLIC_KEY_SIZE);
  material[0] = ED25519_SIGNATURE_TYPE;
  material.set(publicKey, 1);
  return `${name}+${keyId.toString(16).padStart(8, '0')}+${encodeBase64(material)}`;
}

/**
 * Parses a verifier key (c2sp.org/signed-note "Verifier keys"). Only Ed25519 is supported;
 * the key ID must be the one the name and key hash to.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string') throw new VerifierKeyMalformed('verifier key must be a string');
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/s.exec(vkey);
  if (m === null) throw new VerifierKeyMalformed('verifier key must be <name>+<hex key ID>+<base64 key>');
  const [, name, hexId, encoded] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw new VerifierKeyMalformed('key name is empty or has a space or "+"');
  const material = decodeBase64Strict(encoded);
  if (material === null || material.length < 1) throw new VerifierKeyMalformed('verifier key material is not canonical base64');
  if (material[0] !== ED25519_SIGNATURE_TYPE) throw new VerifierKeyMalformed(`unsupported signature type 0x${material[0]!.toString(16)}`);
  const publicKey = material.slice(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) throw new VerifierKeyMalformed('Ed25519 public key must be 32 bytes');
  const verifier = ed25519NoteVerifier(name, publicKey);
  if (verifier.keyId !== parseInt(hexId, 16)) throw new VerifierKeyMalformed('verifier key ID does not match the name and key');
  return verifier;
}
