// `node:crypto` for the browser bundle. libs/tlog hashes with Node's synchronous createHash
// (RFC 9162 Merkle hashing must be synchronous there); in browsers that is @noble/hashes.
// tlog's Ed25519 note verifier (createPublicKey/verify) is NOT used by the SDK, which checks
// note signatures with WebCrypto (src/log-verifier-key.ts); reaching these is a bug, so they
// fail loudly instead of pretending.
import { sha256, sha384, sha512 } from '@noble/hashes/sha2';
import { Buffer } from 'buffer';

const HASHES = { sha256, sha384, sha512 } as const;

class BrowserHash {
  private readonly state: ReturnType<(typeof HASHES)['sha256']['create']>;

  constructor(algorithm: string) {
    const hash = HASHES[algorithm.toLowerCase().replace('-', '') as keyof typeof HASHES];
    if (!hash) throw new Error(`node:crypto shim: hash ${algorithm} is not available in the browser build`);
    this.state = hash.create();
  }

  update(data: Uint8Array | string, encoding?: string): this {
    this.state.update(typeof data === 'string' ? Buffer.from(data, (encoding ?? 'utf8') as BufferEncoding) : data);
    return this;
  }

  digest(encoding?: string): Buffer | string {
    const out = Buffer.from(this.state.digest());
    return encoding ? out.toString(encoding as BufferEncoding) : out;
  }
}

export function createHash(algorithm: string): BrowserHash {
  return new BrowserHash(algorithm);
}

function unavailable(name: string): never {
  throw new Error(`node:crypto shim: ${name} is not available in the browser build (the client SDK verifies Ed25519 with WebCrypto)`);
}

export function createPublicKey(): never {
  return unavailable('createPublicKey');
}

export function verify(): never {
  return unavailable('verify');
}

export default { createHash, createPublicKey, verify };
