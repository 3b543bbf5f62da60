import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Anonymous enrollment routes cannot be used as a lever (issue 13 §7): rate-limiter-flexible's
 * PostgreSQL store for the per-IP and per-org limits (shared by every replica; created here,
 * not at runtime), the per-org count of pending sessions behind the cap, and the tally that
 * turns a flood of anonymous refusals into a bounded number of audit rows.
 */
export class EnrollmentLimits1734100000000 implements MigrationInterface {
  name = 'EnrollmentLimits1734100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE enrollment_rate_limit (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query(`CREATE INDEX enrollment_session_pending_by_org ON enrollment_session(org_id, expires_at) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE enrollment_refusal_tally (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        reason text NOT NULL,
        flow text NOT NULL,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        last_detail text,
        last_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, reason, flow, window_start)
      )`);
    await q.query(`CREATE INDEX enrollment_refusal_tally_window ON enrollment_refusal_tally(window_start)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS enrollment_refusal_tally`);
    await q.query(`DROP INDEX IF EXISTS enrollment_session_pending_by_org`);
    await q.query(`DROP TABLE IF EXISTS enrollment_rate_limit`);
  }
}
