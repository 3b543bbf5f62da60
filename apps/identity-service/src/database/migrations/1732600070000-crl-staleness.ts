import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CRL regeneration is coalesced: revocations mark their CA stale and one refresh covers all
 * of them, instead of re-signing a growing CRL once per revocation.
 */
export class CrlStaleness1732600070000 implements MigrationInterface {
  name = 'CrlStaleness1732600070000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ca ADD COLUMN crl_stale_since timestamptz`);
    await q.query(`CREATE INDEX ca_crl_stale ON ca(crl_stale_since) WHERE crl_stale_since IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ca DROP COLUMN IF EXISTS crl_stale_since`);
  }
}
