import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Orgs and their admin-managed connections, key custody, the outbox and the audit trail. */
export class Foundation1732600000000 implements MigrationInterface {
  name = 'Foundation1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE org (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        name text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE idp_connection (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('okta', 'entra', 'oidc')),
        issuer text NOT NULL,
        client_id text NOT NULL,
        client_secret_sealed bytea,
        claim_mapping jsonb NOT NULL DEFAULT '{}'::jsonb,
        allowed_tenants text[] NOT NULL DEFAULT '{}',
        require_mfa boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, name)
      )`);
    await q.query(`CREATE INDEX idp_connection_org ON idp_connection(org_id)`);
    await q.query(`
      CREATE TABLE scim_token (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        description text NOT NULL DEFAULT '',
        token_hash bytea NOT NULL UNIQUE,
        token_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX scim_token_org ON scim_token(org_id)`);
    await q.query(`
      CREATE TABLE ds_client (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_hash bytea NOT NULL UNIQUE,
        token_prefix text NOT NULL,
        webhook_url text,
        webhook_secret_sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX ds_client_org ON ds_client(org_id)`);
    await q.query(`
      CREATE TABLE custody_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid REFERENCES org(id) ON DELETE CASCADE,
        purpose text NOT NULL,
        algorithm text NOT NULL CHECK (algorithm IN ('Ed25519', 'ECDSA-P256', 'ECDSA-P384')),
        public_key bytea NOT NULL,
        private_key_sealed bytea NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await q.query(`CREATE INDEX custody_key_org_purpose ON custody_key(org_id, purpose)`);
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        org_id uuid REFERENCES org(id) ON DELETE CASCADE,
        topic text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        available_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        dead_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_pending ON outbox(topic, available_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL`);
    await q.query(`
      CREATE TABLE audit_event (
        id bigserial PRIMARY KEY,
        org_id uuid REFERENCES org(id) ON DELETE CASCADE,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_event_org ON audit_event(org_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_event', 'outbox', 'custody_key', 'ds_client', 'scim_token', 'idp_connection', 'org']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
