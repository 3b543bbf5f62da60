import type { EntityManager } from 'typeorm';

/**
 * The only statements over `request_nonce`: the ids (`jti`) of signed device requests seen
 * while they could still pass the freshness check, so each is accepted once.
 */

/** True the first time `nonce` is presented; it is kept until `expiresAtEpochSeconds`. */
export async function spendRequestNonce(m: EntityManager, nonce: string, expiresAtEpochSeconds: number): Promise<boolean> {
  const fresh: unknown[] = await m.query(
    `INSERT INTO request_nonce (nonce, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT DO NOTHING RETURNING nonce`,
    [nonce, expiresAtEpochSeconds],
  );
  return fresh.length > 0;
}

/** Nonces past their request's lifetime prove nothing any more. */
export async function purgeExpiredRequestNonces(m: EntityManager): Promise<void> {
  await m.query('DELETE FROM request_nonce WHERE expires_at < now()');
}
