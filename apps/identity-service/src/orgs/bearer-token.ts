import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer tokens we mint: a kind prefix (so a leaked token says what it is and secret
 * scanners can find it) and 32 random bytes. They carry 256 bits of entropy, so a plain
 * SHA-256 is the right stored form: no salt or slow hash is needed against guessing.
 */
export type TokenKind = 'scim' | 'ds' | 'whsec' | 'auditor' | 'adm';

export interface MintedToken {
  token: string;
  hash: Buffer;
  /** Enough to recognise a token in a list, not enough to use it. */
  prefix: string;
}

export function mintToken(kind: TokenKind): MintedToken {
  const token = `mlsid_${kind}_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, `mlsid_${kind}_`.length + 6) };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
