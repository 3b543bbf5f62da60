import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OIDC enrollment: the ID-token replay store, enrollment sessions (browser redirect and
 * device flows, so a pending sign-in survives a restart or lands on another replica), and
 * the audiences a connection accepts besides its own client (native apps are public
 * clients with their own client_id, so their ID tokens carry that id as `aud`).
 */
export class Enrollment1732600040000 implements MigrationInterface {
  name = 'Enrollment1732600040000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idp_connection ADD COLUMN native_client_ids text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      CREATE TABLE id_token_replay (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        issuer text NOT NULL,
        -- 'jti:<jti>' or 'nonce:<nonce>': a token is spent under both, so a token without
        -- jti and a re-issued token for the same key are both caught.
        token_key text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, issuer, token_key)
      )`);
    await q.query(`CREATE INDEX id_token_replay_expiry ON id_token_replay(expires_at)`);
    await q.query(`
      CREATE TABLE enrollment_session (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        idp_connection_id uuid NOT NULL REFERENCES idp_connection(id) ON DELETE CASCADE,
        flow text NOT NULL CHECK (flow IN ('redirect', 'device')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
        secret_hash bytea NOT NULL,
        state text UNIQUE,
        nonce text NOT NULL,
        -- PKCE verifier and device_code let whoever holds them finish the sign-in: sealed.
        code_verifier_sealed bytea,
        device_code_sealed bytea,
        user_code text,
        verification_uri text,
        verification_uri_complete text,
        poll_interval_s integer,
        next_poll_at timestamptz,
        csr bytea NOT NULL,
        device_name text NOT NULL,
        platform text NOT NULL,
        ciphersuite integer NOT NULL,
        result jsonb,
        failure_reason text,
        failure_detail text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX enrollment_session_org ON enrollment_session(org_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS enrollment_session`);
    await q.query(`DROP TABLE IF EXISTS id_token_replay`);
    await q.query(`ALTER TABLE idp_connection DROP COLUMN IF EXISTS native_client_ids`);
  }
}
