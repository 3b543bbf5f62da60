import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin sign-in (issue 15): sign-ins waiting for the IdP's answer, the sessions and bearer
 * tokens they end in, and the CLI's device-flow logins. Secrets are stored as SHA-256 hashes
 * (256-bit random values) or sealed (the PKCE verifier).
 */
export class AdminSignIn1734200000000 implements MigrationInterface {
  name = 'AdminSignIn1734200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_credential (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        secret_hash bytea NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('session', 'bearer')),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        idp_connection_id uuid,
        issuer text NOT NULL,
        subject text NOT NULL,
        email text,
        name text,
        actor text NOT NULL,
        roles text[] NOT NULL,
        platform boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        idle_timeout_s int,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        parent_id uuid REFERENCES admin_credential(id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX admin_credential_expiry ON admin_credential(expires_at)`);
    await q.query(`
      CREATE TABLE admin_cli_login (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        device_code_hash bytea NOT NULL UNIQUE,
        user_code_hash bytea NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'collected')),
        approved_by uuid REFERENCES admin_credential(id) ON DELETE CASCADE,
        requested_from text,
        next_poll_at timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE admin_sign_in (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        idp_connection_id uuid NOT NULL REFERENCES idp_connection(id) ON DELETE CASCADE,
        state text NOT NULL UNIQUE,
        nonce text NOT NULL,
        code_verifier_sealed bytea NOT NULL,
        browser_hash bytea NOT NULL,
        cli_login_id uuid REFERENCES admin_cli_login(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_sign_in`);
    await q.query(`DROP TABLE admin_cli_login`);
    await q.query(`DROP TABLE admin_credential`);
  }
}
