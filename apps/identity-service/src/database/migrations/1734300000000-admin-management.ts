import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The management API: accounts an admin suspended by hand, search and paging indexes, and
 * bearer-secret rotation with an overlap (the previous token or webhook secret stays valid
 * until `*_expires_at`).
 */
export class AdminManagement1734300000000 implements MigrationInterface {
  name = 'AdminManagement1734300000000';

  async up(q: QueryRunner): Promise<void> {
    // A manual suspension holds until an admin resumes it, whatever the IdP says meanwhile.
    await q.query(`ALTER TABLE account ADD COLUMN suspended_at timestamptz, ADD COLUMN suspended_by text`);
    // Case-insensitive prefix search (LIKE 'abc%') on the names an admin types.
    for (const [name, expr] of [
      ['account_search_user_name', 'lower(user_name)'],
      ['account_search_email', 'lower(email)'],
      ['account_search_display_name', 'lower(display_name)'],
    ] as const) {
      await q.query(`CREATE INDEX ${name} ON account(org_id, ${expr} text_pattern_ops) WHERE deleted_at IS NULL`);
    }
    // Keyset paging of the device list, overall and by status.
    await q.query(`CREATE INDEX device_org_page ON device(org_id, created_at, id)`);
    await q.query(`CREATE INDEX device_org_status_page ON device(org_id, status, created_at, id)`);
    // The expiry horizon report: live certificates by end date.
    await q.query(`CREATE INDEX certificate_org_live_not_after ON certificate(org_id, not_after) WHERE status IN ('active', 'superseded')`);
    for (const table of ['ds_client', 'scim_token']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN previous_token_hash bytea, ADD COLUMN previous_token_expires_at timestamptz`);
    }
    await q.query(`ALTER TABLE ds_client ADD COLUMN previous_webhook_secret_sealed bytea, ADD COLUMN previous_webhook_secret_expires_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ds_client DROP COLUMN previous_webhook_secret_sealed, DROP COLUMN previous_webhook_secret_expires_at`);
    for (const table of ['ds_client', 'scim_token']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN previous_token_hash, DROP COLUMN previous_token_expires_at`);
    }
    await q.query(`DROP INDEX certificate_org_live_not_after`);
    await q.query(`DROP INDEX device_org_status_page`);
    await q.query(`DROP INDEX device_org_page`);
    for (const name of ['account_search_user_name', 'account_search_email', 'account_search_display_name']) await q.query(`DROP INDEX ${name}`);
    await q.query(`ALTER TABLE account DROP COLUMN suspended_at, DROP COLUMN suspended_by`);
  }
}
