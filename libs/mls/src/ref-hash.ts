// RFC 9420 §5.2 hash-based identifiers:
//   struct { opaque label<V>; opaque value<V>; } RefHashInput;
//   RefHash(label, value) = Hash(RefHashInput)
// computed with @noble/hashes (synchronous, the same in Node and browsers) so a reference can
// be made for any suite's hash, including suites whose signature scheme ts-mls cannot run here.
import { sha256, sha384, sha512 } from '@noble/hashes/sha2';
import { MlsUnsupportedCiphersuiteError } from './errors.js';
import { concatBytes, encodeVector } from './presentation-language.js';

/** §17.1: the hash of every registered suite is named in its name (…_SHA256_…, _SHA384_, _SHA512_). */
export function ciphersuiteHashName(cipherSuite: string): 'sha256' | 'sha384' | 'sha512' {
  const m = /_SHA(256|384|512)_/.exec(cipherSuite);
  if (!m) throw new MlsUnsupportedCiphersuiteError(`no hash known for ciphersuite ${cipherSuite}`);
  return `sha${m[1]}` as 'sha256' | 'sha384' | 'sha512';
}

const HASHES = { sha256, sha384, sha512 } as const;

export function refHash(cipherSuite: string, label: string, value: Uint8Array): Uint8Array {
  const input = concatBytes([encodeVector(new TextEncoder().encode(label)), encodeVector(value)]);
  return HASHES[ciphersuiteHashName(cipherSuite)](input);
}
