import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * First enrollments bind accounts through identifiers the IdP controls (issue 13 §2): the
 * subject or the SCIM externalId. Matching an unbound account by email or UPN is an opt-in of
 * the IdP connection, off for every existing connection too, and then needs a verified email.
 */
export class IdpVerifiedEmailBinding1733400001000 implements MigrationInterface {
  name = 'IdpVerifiedEmailBinding1733400001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idp_connection ADD COLUMN match_by_verified_email boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idp_connection DROP COLUMN match_by_verified_email`);
  }
}
