import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Expired enrollment sessions are purged periodically (issue 13 §7): the purge finds them by expiry. */
export class EnrollmentSessionExpiryIndex1733400002000 implements MigrationInterface {
  name = 'EnrollmentSessionExpiryIndex1733400002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX enrollment_session_expiry ON enrollment_session(expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS enrollment_session_expiry`);
  }
}
