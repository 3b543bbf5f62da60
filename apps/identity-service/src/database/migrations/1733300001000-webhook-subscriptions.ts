import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle webhooks: each delivery-service client chooses its event types (NULL keeps the
 * behaviour from before, `removals.proposed` only). Replays are rate-limited per client with
 * rate-limiter-flexible's PostgreSQL store, whose table is created here rather than at runtime.
 */
export class WebhookSubscriptions1733300001000 implements MigrationInterface {
  name = 'WebhookSubscriptions1733300001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ds_client ADD COLUMN webhook_events text[]`);
    await q.query(`
      CREATE TABLE webhook_replay_limit (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_replay_limit`);
    await q.query(`ALTER TABLE ds_client DROP COLUMN IF EXISTS webhook_events`);
  }
}
