import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SCIM groups pushed by the IdP and their members. Members live in their own rows (not in
 * the group's jsonb) so that a user's `groups`, member filters and the entitlement check
 * are index lookups; a member value that names no account of the org (RFC 7644 lets IdPs
 * send any id) is kept with a null account_id.
 */
export class ScimGroups1732600004000 implements MigrationInterface {
  name = 'ScimGroups1732600004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scim_group (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        display_name text NOT NULL,
        external_id text,
        resource jsonb NOT NULL DEFAULT '{}'::jsonb,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX scim_group_org_display_name ON scim_group(org_id, lower(display_name))`);
    await q.query(`CREATE INDEX scim_group_org_external_id ON scim_group(org_id, external_id)`);
    await q.query(`CREATE INDEX scim_group_org_created ON scim_group(org_id, created_at, id)`);
    await q.query(`
      CREATE TABLE scim_group_member (
        group_id uuid NOT NULL REFERENCES scim_group(id) ON DELETE CASCADE,
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        value text NOT NULL,
        account_id uuid REFERENCES account(id) ON DELETE CASCADE,
        display text,
        type text,
        PRIMARY KEY (group_id, value)
      )`);
    await q.query(`CREATE INDEX scim_group_member_account ON scim_group_member(account_id) WHERE account_id IS NOT NULL`);
    // SCIM lists page in creation order by default.
    await q.query(`CREATE INDEX account_org_created ON account(org_id, created_at, id) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS account_org_created`);
    for (const t of ['scim_group_member', 'scim_group']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
