import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trusting group reports (issue 12 §1): a group belongs to the delivery-service client that
 * registered it; each commit the service saw at authorization is kept, so a report is accepted
 * only when it descends from the stored state through one (RFC 9420 §8.2, §7.8); a report that
 * cannot show it flags the group.
 */
export class MlsGroupTrust1733100000000 implements MigrationInterface {
  name = 'MlsGroupTrust1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE mls_group ADD COLUMN ds_client_id uuid REFERENCES ds_client(id) ON DELETE SET NULL`);
    // Groups registered before ownership existed: an org with one live DS client owns them
    // through it; otherwise the next report (which must still show continuity) claims them.
    await q.query(`
      UPDATE mls_group g SET ds_client_id = c.id
        FROM (SELECT org_id, min(id::text)::uuid AS id FROM ds_client WHERE revoked_at IS NULL GROUP BY org_id HAVING count(*) = 1) c
       WHERE c.org_id = g.org_id`);
    await q.query(`ALTER TABLE mls_group ADD COLUMN continuity_flag text`);
    await q.query(`ALTER TABLE mls_group ADD COLUMN continuity_flagged_epoch bigint`);
    await q.query(`ALTER TABLE mls_group ADD COLUMN continuity_flagged_at timestamptz`);
    await q.query(`ALTER TABLE mls_group ADD COLUMN rebase_authorized_by text`);
    await q.query(`CREATE INDEX mls_group_flagged ON mls_group(org_id) WHERE continuity_flag IS NOT NULL`);
    // A commit the service saw at authorization, kept until the group leaves its epoch: the
    // report of the next epoch is checked against it (the commit and the proposals it
    // references by value of their bytes, and its §8.2 confirmed transcript hash to find it).
    await q.query(`
      CREATE TABLE mls_group_transition (
        group_ref uuid NOT NULL REFERENCES mls_group(id) ON DELETE CASCADE,
        epoch bigint NOT NULL,
        commit_hash bytea NOT NULL,
        confirmed_transcript_hash bytea NOT NULL,
        commit bytea NOT NULL,
        proposals bytea[] NOT NULL,
        authorized boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_ref, epoch, commit_hash)
      )`);
    await q.query(`CREATE INDEX mls_group_transition_transcript ON mls_group_transition(group_ref, epoch, confirmed_transcript_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mls_group_transition`);
    await q.query(`DROP INDEX IF EXISTS mls_group_flagged`);
    await q.query(
      `ALTER TABLE mls_group DROP COLUMN IF EXISTS rebase_authorized_by, DROP COLUMN IF EXISTS continuity_flagged_at, DROP COLUMN IF EXISTS continuity_flagged_epoch, DROP COLUMN IF EXISTS continuity_flag, DROP COLUMN IF EXISTS ds_client_id`,
    );
  }
}
