// RFC 9420 §7.3 / §5.1.2: a LeafNode's signature covers its LeafNodeTBS (the whole leaf, and for
// update/commit leaves the group id and leaf index). A verification is a pure function of
// (public key, signed bytes, signature): once true, it is true for the same three byte strings.
// Reports of the next epoch carry the same leaves again, so remembering the exact triples that
// verified lets a roster report cost O(changed leaves) in signatures, never accepting changed
// bytes (any change gives another key into the cache and a real verification).
import { sha256 } from '@noble/hashes/sha2';
import type { CiphersuiteImpl } from 'ts-mls';

type SignatureImpl = CiphersuiteImpl['signature'];

// @noble/hashes, not node:crypto: libs/mls is bundled for browsers too (tsconfig.browser.json).
function tripleKey(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  const lengths = new Uint8Array(12);
  const view = new DataView(lengths.buffer);
  view.setUint32(0, publicKey.length);
  view.setUint32(4, message.length);
  view.setUint32(8, signature.length);
  const digest = sha256.create().update(lengths).update(publicKey).update(message).update(signature).digest();
  let key = '';
  for (const b of digest) key += String.fromCharCode(b);
  return key;
}

/** Signature triples that verified, bounded (oldest forgotten first). Only successes are kept. */
export class VerifiedSignatures {
  private readonly verified = new Set<string>();
  hits = 0;
  misses = 0;

  constructor(private readonly max = 200_000) {}

  /** `signature` with verify answered from this set when the exact triple verified before. */
  wrap(signature: SignatureImpl): SignatureImpl {
    return {
      sign: (key, message) => signature.sign(key, message),
      keygen: () => signature.keygen(),
      verify: async (publicKey, message, sig) => {
        const key = tripleKey(publicKey, message, sig);
        if (this.verified.has(key)) {
          this.hits++;
          return true;
        }
        this.misses++;
        const ok = await signature.verify(publicKey, message, sig);
        if (ok) this.remember(key);
        return ok;
      },
    };
  }

  private remember(key: string): void {
    if (this.verified.size >= this.max) this.verified.delete(this.verified.values().next().value!);
    this.verified.add(key);
  }
}
