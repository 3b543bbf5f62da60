import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { EntityManager } from 'typeorm';
import { refuse } from '../enrollment.errors.js';
import { MAX_CLOCK_SKEW_S } from './id-token-validation.js';

/**
 * Spends an ID token, in the enrolling transaction: it is recorded under its `jti` (when the
 * IdP sets one) and under its nonce, so it enrolls once. Two requests racing with the same
 * token meet on the primary key: the second waits for the first and then finds the row.
 * If the enrollment rolls back, so does the spending (the token enrolled nothing).
 */
export async function spendIdToken(m: EntityManager, orgId: string, claims: JWTPayload, token: string): Promise<void> {
  const keys: string[] = [];
  if (typeof claims.nonce === 'string') keys.push(`nonce:${claims.nonce.slice(0, 512)}`);
  if (typeof claims.jti === 'string' && claims.jti.length > 0) keys.push(`jti:${claims.jti.slice(0, 512)}`);
  // Neither (a device-flow token from an IdP that sets no jti): the token itself.
  if (keys.length === 0) keys.push(`sha256:${createHash('sha256').update(token).digest('base64url')}`);
  // Kept until the token could no longer pass validation anyway.
  const expiresAt = new Date(((claims.exp ?? Math.floor(Date.now() / 1000)) + MAX_CLOCK_SKEW_S) * 1000);
  // One statement for all keys: any key already spent means the token was used before.
  const rows: unknown[] = await m.query(
    `INSERT INTO id_token_replay (org_id, issuer, token_key, expires_at)
     SELECT $1, $2, k, $4 FROM unnest($3::text[]) AS k
     ON CONFLICT DO NOTHING RETURNING token_key`,
    [orgId, claims.iss, keys, expiresAt],
  );
  if (rows.length < keys.length) refuse('id_token_replayed', 'this ID token has already been used to enroll');
}

/** Rows whose tokens have expired prove nothing any more. */
export async function purgeSpentIdTokens(m: EntityManager): Promise<number> {
  const [, count]: [unknown, number] = await m.query(`DELETE FROM id_token_replay WHERE expires_at < now()`);
  return count;
}
