import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A group's own membership policy (issue 12 §4), set by a room admin or an org admin. No row:
 * the group follows the org default (settings.groups.membershipPolicy). A table of its own
 * rather than a column of mls_group, which every report rewrites.
 */
export class GroupMembershipPolicy1733500000000 implements MigrationInterface {
  name = 'GroupMembershipPolicy1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mls_group_policy (
        group_ref uuid PRIMARY KEY REFERENCES mls_group(id) ON DELETE CASCADE,
        membership text NOT NULL CHECK (membership IN ('members', 'admins-only')),
        set_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mls_group_policy`);
  }
}
