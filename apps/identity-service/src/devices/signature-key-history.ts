import type { EntityManager } from 'typeorm';

/**
 * One key, one device, ever: a signature key that any device holds now (device) or held
 * before a rotation (device_key_history) can never be enrolled or rotated to again.
 * Across orgs on purpose.
 */
export async function signatureKeyEverUsed(m: EntityManager, keyHash: Buffer): Promise<boolean> {
  const rows: unknown[] = await m.query(
    `SELECT 1 FROM device WHERE signature_key_sha256 = $1
     UNION ALL SELECT 1 FROM device_key_history WHERE signature_key_sha256 = $1 LIMIT 1`,
    [keyHash],
  );
  return rows.length > 0;
}
