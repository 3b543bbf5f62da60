import { createHash, randomInt } from 'node:crypto';
import { secretsEqual } from '../../common/secrets-equal.js';

/**
 * The short code an enrolling device shows and the signed-in person confirms on the
 * service's page. RFC 8628 §6.1's alphabet: twenty consonants (no vowels, so no words; no
 * look-alikes), eight of them (34 bits), shown as XXXX-XXXX. Guessing is bounded by the
 * attempts a session allows and by rate limiting, not by the code's length.
 */
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const LENGTH = 8;
/** Wrong codes a session tolerates before it fails for good. */
export const MAX_CONFIRMATION_ATTEMPTS = 5;

export function mintConfirmationCode(): { code: string; hash: Buffer } {
  let raw = '';
  for (let i = 0; i < LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, hash: confirmationCodeHash(raw)! };
}

/** What a person typed, as the stored hash: case, spaces and dashes do not matter; null when it cannot be a code. */
export function confirmationCodeHash(typed: string | undefined | null): Buffer | null {
  if (typeof typed !== 'string' || typed.length > 64) return null;
  const normalized = typed.toUpperCase().replace(/[\s-]/g, '');
  if (normalized.length !== LENGTH || [...normalized].some((c) => !ALPHABET.includes(c))) return null;
  return createHash('sha256').update(normalized).digest();
}

export function confirmationCodeMatches(typed: string | undefined | null, hash: Buffer | null): boolean {
  const presented = confirmationCodeHash(typed);
  if (!presented || !hash) return false;
  return secretsEqual(presented.toString('hex'), hash.toString('hex'));
}
