import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identity model every capability shares: accounts (provisioned by SCIM or created
 * just in time), their devices (one MLS signature key each) and the certificates issued to
 * them. The CA tables and the issuing logic belong to the certificates module.
 */
export class AccountsDevicesCertificates1732600001000 implements MigrationInterface {
  name = 'AccountsDevicesCertificates1732600001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        user_name text NOT NULL,
        external_id text,
        display_name text,
        email text,
        idp_subject text,
        active boolean NOT NULL DEFAULT true,
        resource jsonb NOT NULL DEFAULT '{}'::jsonb,
        version integer NOT NULL DEFAULT 1,
        deprovisioned_at timestamptz,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // SCIM userName is unique per org, case-insensitively (RFC 7643 §4.1.1); a deleted
    // account keeps its tombstone row but frees the name.
    await q.query(`CREATE UNIQUE INDEX account_org_user_name ON account(org_id, lower(user_name)) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX account_org_external_id ON account(org_id, external_id)`);
    await q.query(`CREATE INDEX account_org_idp_subject ON account(org_id, idp_subject)`);
    await q.query(`
      CREATE TABLE device (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES account(id) ON DELETE CASCADE,
        name text NOT NULL,
        platform text NOT NULL,
        ciphersuite integer NOT NULL,
        signature_key bytea NOT NULL,
        signature_key_sha256 bytea NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
        revoked_at timestamptz,
        revocation_reason text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One key, one device, ever: a key that was revoked can never come back on another device.
    await q.query(`CREATE UNIQUE INDEX device_signature_key ON device(signature_key_sha256)`);
    await q.query(`CREATE INDEX device_account ON device(account_id, status)`);
    await q.query(`CREATE INDEX device_org ON device(org_id)`);
    await q.query(`
      CREATE TABLE certificate (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        device_id uuid REFERENCES device(id) ON DELETE CASCADE,
        ca_id uuid NOT NULL,
        serial text NOT NULL,
        der bytea NOT NULL,
        sha256 bytea NOT NULL UNIQUE,
        subject_key_sha256 bytea NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'superseded')),
        revoked_at timestamptz,
        revocation_reason integer,
        superseded_by uuid REFERENCES certificate(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (ca_id, serial)
      )`);
    await q.query(`CREATE INDEX certificate_device ON certificate(device_id, status)`);
    await q.query(`CREATE INDEX certificate_ca_revoked ON certificate(ca_id) WHERE revoked_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['certificate', 'device', 'account']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
