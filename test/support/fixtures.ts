import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** Rows for use-case tests that start from an existing account with enrolled devices. */
export async function insertAccount(ds: DataSource, orgId: string, userName: string): Promise<string> {
  const [row] = await ds.query(`INSERT INTO account (org_id, user_name, email, display_name) VALUES ($1, $2, $2, $2) RETURNING id`, [
    orgId,
    userName,
  ]);
  return row.id;
}

export async function insertDevice(
  ds: DataSource,
  orgId: string,
  accountId: string,
  certificates = 1,
): Promise<{ deviceId: string; certificateIds: string[]; caId: string }> {
  const key = randomBytes(44);
  const [device] = await ds.query(
    `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
     VALUES ($1, $2, 'phone', 'ios', 1, $3, $4) RETURNING id`,
    [orgId, accountId, key, createHash('sha256').update(key).digest()],
  );
  // Certificates hang off the org's real intermediate (created with the org); their DER is
  // filler, which is all revocation and CRL bookkeeping look at.
  const [ca] = await ds.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`, [orgId]);
  if (!ca) throw new Error('insertDevice: the org has no active intermediate CA (create orgs through OrgsService)');
  const caId: string = ca.id;
  const certificateIds: string[] = [];
  for (let i = 0; i < certificates; i++) {
    const der = randomBytes(300);
    const [cert] = await ds.query(
      `INSERT INTO certificate (org_id, device_id, ca_id, serial, der, sha256, subject_key_sha256, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + interval '7 days') RETURNING id`,
      [
        orgId,
        device.id,
        caId,
        randomBytes(16).toString('hex'),
        der,
        createHash('sha256').update(der).digest(),
        createHash('sha256').update(key).digest(),
      ],
    );
    certificateIds.push(cert.id);
  }
  return { deviceId: device.id, certificateIds, caId };
}
