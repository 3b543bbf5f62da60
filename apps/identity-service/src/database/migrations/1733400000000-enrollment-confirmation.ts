import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Redirect and device enrollments are confirmed by the signed-in person on a service page
 * (issue 13 §1): the short code the enrolling device shows (hashed), the wrong attempts
 * against it, the address the enrollment was requested from (shown on that page), the
 * IdP authorization URL the device flow's activation page sends the browser to, and the
 * hashed cookie of the browser that typed the code there. A pending device enrollment is
 * found by its code, so codes are unique among pending sessions.
 */
export class EnrollmentConfirmation1733400000000 implements MigrationInterface {
  name = 'EnrollmentConfirmation1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE enrollment_session
        ADD COLUMN confirmation_code_hash bytea,
        ADD COLUMN confirmation_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN requested_from text,
        ADD COLUMN authorization_url text,
        ADD COLUMN browser_binding_hash bytea`);
    await q.query(
      `CREATE UNIQUE INDEX enrollment_session_pending_code ON enrollment_session(confirmation_code_hash) WHERE status = 'pending' AND confirmation_code_hash IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS enrollment_session_pending_code`);
    await q.query(`
      ALTER TABLE enrollment_session
        DROP COLUMN confirmation_code_hash,
        DROP COLUMN confirmation_attempts,
        DROP COLUMN requested_from,
        DROP COLUMN authorization_url,
        DROP COLUMN browser_binding_hash`);
  }
}
