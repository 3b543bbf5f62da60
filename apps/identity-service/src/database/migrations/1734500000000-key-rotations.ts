import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key rotations (issue 15 "Keys"):
 * - the log key: during a rotation's overlap the log has a second key (`next_key_id`) that
 *   countersigns every checkpoint; `kt_key_rotation` keeps each rotation statement (the new
 *   verifier key signed by the old and the new key) that pinned verifiers follow;
 * - the MLS external sender: an org has one `current` sender per suite and, during a
 *   rotation, the `retiring` one groups still list; `mls_sender_swap` is the signed
 *   GroupContextExtensions proposal per group (one open per group and rotation, re-signed per
 *   epoch like a removal) and whether the group committed it.
 */
export class KeyRotations1734500000000 implements MigrationInterface {
  name = 'KeyRotations1734500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kt_log ADD COLUMN next_key_id uuid REFERENCES custody_key(id), ADD COLUMN overlap_until timestamptz`);
    await q.query(`
      CREATE TABLE kt_key_rotation (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        to_key_id uuid NOT NULL REFERENCES custody_key(id),
        from_key_id uuid NOT NULL REFERENCES custody_key(id),
        statement text NOT NULL,
        actor text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        overlap_until timestamptz NOT NULL,
        finished_at timestamptz,
        PRIMARY KEY (org_id, to_key_id)
      )`);

    await q.query(
      `ALTER TABLE mls_external_sender ADD COLUMN status text NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'retiring', 'retired')),
         ADD COLUMN retired_at timestamptz`,
    );
    await q.query(`ALTER TABLE mls_external_sender DROP CONSTRAINT mls_external_sender_org_id_ciphersuite_key`);
    await q.query(`CREATE UNIQUE INDEX mls_external_sender_current ON mls_external_sender (org_id, ciphersuite) WHERE status = 'current'`);
    await q.query(`
      CREATE TABLE mls_external_sender_rotation (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        ciphersuite integer NOT NULL,
        old_sender_id uuid NOT NULL REFERENCES mls_external_sender(id),
        new_sender_id uuid NOT NULL REFERENCES mls_external_sender(id),
        started_by text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        forced_by text
      )`);
    await q.query(
      `CREATE UNIQUE INDEX mls_external_sender_rotation_open ON mls_external_sender_rotation (org_id, ciphersuite) WHERE completed_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE mls_sender_swap (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        rotation_id uuid NOT NULL REFERENCES mls_external_sender_rotation(id) ON DELETE CASCADE,
        group_ref uuid NOT NULL REFERENCES mls_group(id) ON DELETE CASCADE,
        epoch bigint NOT NULL,
        proposal bytea NOT NULL,
        proposal_ref bytea NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'committed', 'superseded')),
        created_at timestamptz NOT NULL DEFAULT now(),
        committed_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX mls_sender_swap_open ON mls_sender_swap (rotation_id, group_ref) WHERE status IN ('pending', 'delivered')`);
    await q.query(`CREATE INDEX mls_sender_swap_feed ON mls_sender_swap (org_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mls_sender_swap`);
    await q.query(`DROP TABLE mls_external_sender_rotation`);
    await q.query(`DELETE FROM mls_external_sender WHERE status <> 'current'`);
    await q.query(`DROP INDEX mls_external_sender_current`);
    await q.query(`ALTER TABLE mls_external_sender ADD CONSTRAINT mls_external_sender_org_id_ciphersuite_key UNIQUE (org_id, ciphersuite)`);
    await q.query(`ALTER TABLE mls_external_sender DROP COLUMN retired_at, DROP COLUMN status`);
    await q.query(`DROP TABLE kt_key_rotation`);
    await q.query(`ALTER TABLE kt_log DROP COLUMN overlap_until, DROP COLUMN next_key_id`);
  }
}
