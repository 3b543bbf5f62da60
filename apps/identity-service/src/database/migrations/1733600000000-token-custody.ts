import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys generated in a PKCS#11 token: the row keeps the public key and metadata, the private
 * key stays in the token (found by CKA_ID = the row id), so there is nothing to seal. A row
 * holds a sealed key exactly when its custody is the database.
 */
export class TokenCustody1733600000000 implements MigrationInterface {
  name = 'TokenCustody1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE custody_key ADD COLUMN custody text NOT NULL DEFAULT 'database' CHECK (custody IN ('database', 'pkcs11'))`);
    await q.query(`ALTER TABLE custody_key ALTER COLUMN private_key_sealed DROP NOT NULL`);
    await q.query(
      `ALTER TABLE custody_key ADD CONSTRAINT custody_key_sealed_iff_database CHECK ((custody = 'database') = (private_key_sealed IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE custody_key DROP CONSTRAINT custody_key_sealed_iff_database`);
    await q.query(`DELETE FROM custody_key WHERE custody <> 'database'`);
    await q.query(`ALTER TABLE custody_key ALTER COLUMN private_key_sealed SET NOT NULL`);
    await q.query(`ALTER TABLE custody_key DROP COLUMN custody`);
  }
}
