import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * MLS integration: the service's external senders, the group registry (roster and room
 * admins from GroupInfo reports), removals (signed external Remove proposals, pending until a
 * report shows the leaf gone) and the webhook delivery log.
 */
export class MlsRemovals1732600080000 implements MigrationInterface {
  name = 'MlsRemovals1732600080000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mls_external_sender (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        ciphersuite integer NOT NULL,
        key_id uuid NOT NULL REFERENCES custody_key(id),
        signature_key bytea NOT NULL,
        certificate_id uuid NOT NULL REFERENCES certificate(id),
        credential bytea NOT NULL,
        not_after timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, ciphersuite)
      )`);
    await q.query(`
      CREATE TABLE mls_group (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        group_id bytea NOT NULL,
        ciphersuite integer NOT NULL,
        epoch bigint NOT NULL,
        group_info bytea NOT NULL,
        group_context bytea NOT NULL,
        external_sender_listed boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (org_id, group_id)
      )`);
    // Groups not listing our external sender cannot receive removals: admins look for them.
    await q.query(`CREATE INDEX mls_group_unlisted ON mls_group(org_id) WHERE NOT external_sender_listed`);
    await q.query(`
      CREATE TABLE mls_group_member (
        group_ref uuid NOT NULL REFERENCES mls_group(id) ON DELETE CASCADE,
        leaf_index integer NOT NULL,
        fingerprint bytea,
        device_id uuid,
        account_id uuid,
        identity text,
        PRIMARY KEY (group_ref, leaf_index)
      )`);
    await q.query(`CREATE INDEX mls_group_member_device ON mls_group_member(device_id) WHERE device_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE mls_room_admin (
        group_ref uuid NOT NULL REFERENCES mls_group(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES account(id) ON DELETE CASCADE,
        granted_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_ref, account_id)
      )`);
    // One row per signed proposal; bigserial ids are the feed cursor. A re-signed proposal is
    // a new row (the old one superseded) carrying the first one's planned_at, so the SLA
    // counts from when the removal was first planned.
    await q.query(`
      CREATE TABLE removal (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        group_ref uuid NOT NULL REFERENCES mls_group(id) ON DELETE CASCADE,
        epoch bigint NOT NULL,
        leaf_index integer NOT NULL,
        device_id uuid NOT NULL,
        reason text NOT NULL,
        proposal bytea NOT NULL,
        proposal_ref bytea NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'committed', 'superseded')),
        planned_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        committed_at timestamptz,
        superseded_at timestamptz,
        superseded_by bigint REFERENCES removal(id)
      )`);
    // At most one live proposal per member to remove.
    await q.query(`CREATE UNIQUE INDEX removal_one_open ON removal(group_ref, leaf_index, device_id) WHERE status IN ('pending', 'delivered')`);
    await q.query(`CREATE INDEX removal_feed ON removal(org_id, id)`);
    await q.query(`CREATE INDEX removal_open_age ON removal(org_id, planned_at) WHERE status IN ('pending', 'delivered')`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        id text PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        ds_client_id uuid NOT NULL REFERENCES ds_client(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_status_code integer,
        last_error text,
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_delivery_client ON webhook_delivery(ds_client_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_delivery`);
    await q.query(`DROP TABLE IF EXISTS removal`);
    await q.query(`DROP TABLE IF EXISTS mls_room_admin`);
    await q.query(`DROP TABLE IF EXISTS mls_group_member`);
    await q.query(`DROP TABLE IF EXISTS mls_group`);
    await q.query(`DROP TABLE IF EXISTS mls_external_sender`);
  }
}
