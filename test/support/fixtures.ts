import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** Rows for use-case tests that start from an existing account with enrolled devices. */
export async function insertAccount(ds: DataSource, orgId: string, userName: string): Promise<string> {
  const [row] = await ds.query(
    `INSERT INTO account (org_id, user_name, email, display_name) VALUES ($1, $2, $2, $2) RETURNING id`,
    [orgId, userName],
  );
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
  const caId = await insertPlaceholderCa(ds, orgId);
  const certificateIds: string[] = [];
  for (let i = 0; i < certificates; i++) {
    const der = randomBytes(300);
    const [cert] = await ds.query(
      `INSERT INTO certificate (org_id, device_id, ca_id, serial, der, sha256, subject_key_sha256, not_before, not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + interval '7 days') RETURNING id`,
      [orgId, device.id, caId, randomBytes(16).toString('hex'), der, createHash('sha256').update(der).digest(), createHash('sha256').update(key).digest()],
    );
    certificateIds.push(cert.id);
  }
  return { deviceId: device.id, certificateIds, caId };
}

/**
 * A CA row for fixture certificates to reference (certificate.ca_id is a foreign key). Its
 * key and DER are random bytes: it can sign nothing, which these use-case tests never need.
 */
async function insertPlaceholderCa(ds: DataSource, orgId: string): Promise<string> {
  const [key] = await ds.query(
    `INSERT INTO custody_key (org_id, purpose, algorithm, public_key, private_key_sealed)
     VALUES ($1, 'fixture-ca', 'Ed25519', $2, $3) RETURNING id`,
    [orgId, randomBytes(44), randomBytes(64)],
  );
  const der = randomBytes(300);
  const [ca] = await ds.query(
    `INSERT INTO ca (org_id, kind, key_id, der, sha256, serial, not_before, not_after, status)
     VALUES ($1, 'intermediate', $2, $3, $4, $5, now(), now() + interval '1 year', 'retired') RETURNING id`,
    [orgId, key.id, der, createHash('sha256').update(der).digest(), randomBytes(16).toString('hex')],
  );
  return ca.id;
}
