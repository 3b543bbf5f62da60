import { randomBytes } from 'node:crypto';
import { hashToken } from '../../orgs/index.js';
import { secretsEqual } from '../../common/secrets-equal.js';

/**
 * The secret a device gets when it starts a redirect or device enrollment: only its holder
 * may fetch the certificate. 256 random bits, so a plain SHA-256 is the stored form.
 */
export function mintEnrollmentSecret(): { secret: string; hash: Buffer } {
  const secret = `mlsid_enr_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashToken(secret) };
}

export function enrollmentSecretMatches(presented: string | undefined, hash: Buffer): boolean {
  if (!presented) return false;
  return secretsEqual(hashToken(presented).toString('hex'), hash.toString('hex'));
}

/** `Authorization: Bearer <secret>`. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}
