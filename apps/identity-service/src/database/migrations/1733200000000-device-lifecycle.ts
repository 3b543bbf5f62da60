import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Devices get a third state, `expired`: the certificate lapsed and the org's grace passed
 * without a renewal or re-authentication. An expired device counts toward no limit and is
 * removed from its groups like a revoked one. The device row keeps the end of its newest
 * certificate (`credential_not_after`, written at each issuance) so the lifecycle sweep finds
 * lapsed devices in the device table alone; superseded certificates waiting to be revoked get
 * an index of their own.
 */
export class DeviceLifecycle1733200000000 implements MigrationInterface {
  name = 'DeviceLifecycle1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE device DROP CONSTRAINT device_status_check`);
    await q.query(`ALTER TABLE device ADD CONSTRAINT device_status_check CHECK (status IN ('active', 'revoked', 'expired'))`);
    await q.query(`ALTER TABLE device ADD COLUMN expired_at timestamptz`);
    await q.query(`ALTER TABLE device ADD COLUMN credential_not_after timestamptz`);
    await q.query(`
      UPDATE device d SET credential_not_after = c.not_after
        FROM (SELECT DISTINCT ON (device_id) device_id, not_after FROM certificate
               WHERE device_id IS NOT NULL ORDER BY device_id, created_at DESC, id DESC) c
       WHERE c.device_id = d.id`);
    await q.query(`CREATE INDEX device_lapsing ON device(org_id, credential_not_after) WHERE status = 'active'`);
    await q.query(`CREATE INDEX certificate_superseded_device ON certificate(org_id, device_id) WHERE status = 'superseded'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS certificate_superseded_device`);
    await q.query(`DROP INDEX IF EXISTS device_lapsing`);
    await q.query(`ALTER TABLE device DROP COLUMN IF EXISTS credential_not_after`);
    await q.query(
      `UPDATE device SET status = 'revoked', revoked_at = expired_at, revocation_reason = 'cessationOfOperation' WHERE status = 'expired'`,
    );
    await q.query(`ALTER TABLE device DROP COLUMN IF EXISTS expired_at`);
    await q.query(`ALTER TABLE device DROP CONSTRAINT device_status_check`);
    await q.query(`ALTER TABLE device ADD CONSTRAINT device_status_check CHECK (status IN ('active', 'revoked'))`);
  }
}
