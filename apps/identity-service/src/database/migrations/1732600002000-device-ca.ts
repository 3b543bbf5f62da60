import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-org CA hierarchy with CRL state, and what device-signed requests and renewal need. */
export class DeviceCa1732600002000 implements MigrationInterface {
  name = 'DeviceCa1732600002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ca (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('root', 'intermediate')),
        parent_id uuid REFERENCES ca(id),
        key_id uuid NOT NULL REFERENCES custody_key(id),
        der bytea NOT NULL,
        sha256 bytea NOT NULL UNIQUE,
        serial text NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired', 'revoked')),
        revoked_at timestamptz,
        revocation_reason integer,
        crl_number bigint NOT NULL DEFAULT 0,
        crl_der bytea,
        crl_this_update timestamptz,
        crl_next_update timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One active root and one active intermediate per org: the ones that sign today.
    await q.query(`CREATE UNIQUE INDEX ca_one_active ON ca(org_id, kind) WHERE status = 'active'`);
    await q.query(`ALTER TABLE certificate ADD CONSTRAINT certificate_ca FOREIGN KEY (ca_id) REFERENCES ca(id)`);
    await q.query(`CREATE INDEX certificate_org_sha256 ON certificate(org_id, sha256)`);
    // When the device last proved itself at the IdP (enrollment); renewal policy may require it recently.
    await q.query(`ALTER TABLE device ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT now()`);
    // Keys a device rotated away from: they can never be enrolled or rotated to again.
    await q.query(`
      CREATE TABLE device_key_history (
        signature_key_sha256 bytea PRIMARY KEY,
        device_id uuid NOT NULL REFERENCES device(id) ON DELETE CASCADE,
        retired_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Replay protection for device-signed requests (the JWS jti), kept until it would expire anyway.
    await q.query(`
      CREATE TABLE request_nonce (
        nonce text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX request_nonce_expiry ON request_nonce(expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS request_nonce`);
    await q.query(`DROP TABLE IF EXISTS device_key_history`);
    await q.query(`ALTER TABLE device DROP COLUMN IF EXISTS authenticated_at`);
    await q.query(`ALTER TABLE certificate DROP CONSTRAINT IF EXISTS certificate_ca`);
    await q.query(`DROP TABLE IF EXISTS ca`);
  }
}
