import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox lanes for handlers that call other systems: such a message is claimed with a lease
 * (token and expiry) in a short transaction, the call runs with no transaction open, and the
 * outcome is recorded only while the lease is still held. `lane_key` names the receiver, so a
 * lane limits concurrent calls per receiver; `outbox_lane_circuit` holds a receiver off after
 * consecutive failures, shared by every replica.
 */
export class OutboxLeases1733300000000 implements MigrationInterface {
  name = 'OutboxLeases1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN lane_key text, ADD COLUMN lease_token uuid, ADD COLUMN leased_until timestamptz`);
    await q.query(`
      CREATE TABLE outbox_lane_circuit (
        lane text NOT NULL,
        key text NOT NULL,
        failures integer NOT NULL,
        open_until timestamptz,
        PRIMARY KEY (lane, key)
      )`);
    // Webhook messages queued before this migration: their receiver is the delivery's DS client.
    await q.query(`
      UPDATE outbox o SET lane_key = w.ds_client_id::text
        FROM webhook_delivery w
       WHERE o.topic = 'removals.webhook' AND o.delivered_at IS NULL AND o.dead_at IS NULL
         AND w.id = o.payload->>'deliveryId'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS outbox_lane_circuit`);
    await q.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS lane_key, DROP COLUMN IF EXISTS lease_token, DROP COLUMN IF EXISTS leased_until`);
  }
}
