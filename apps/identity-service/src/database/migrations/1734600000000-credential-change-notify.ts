import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replicas cache resolved bearer tokens (SCIM tokens, DS clients, auditor tokens). Any change
 * that could make a cached resolution wrong (revocation, a new hash, a move to another org, a
 * deleted row) notifies `mlsid_credential_changed` with `<table>:<hex token hash>` when its
 * transaction commits, whichever code or operator made it, so every replica drops that entry.
 * last_used_at updates do not notify: they change nothing a resolution returns.
 */
export class CredentialChangeNotify1734600000000 implements MigrationInterface {
  name = 'CredentialChangeNotify1734600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION mlsid_credential_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mlsid_credential_changed', TG_TABLE_NAME || ':' || encode(OLD.token_hash, 'hex'));
        RETURN NULL;
      END $$`);
    for (const table of ['scim_token', 'ds_client', 'auditor_token']) {
      await q.query(`
        CREATE TRIGGER ${table}_credential_changed AFTER UPDATE ON ${table} FOR EACH ROW
          WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.token_hash IS DISTINCT FROM NEW.token_hash
                OR OLD.org_id IS DISTINCT FROM NEW.org_id)
          EXECUTE FUNCTION mlsid_credential_changed()`);
      await q.query(`CREATE TRIGGER ${table}_credential_deleted AFTER DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION mlsid_credential_changed()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['scim_token', 'ds_client', 'auditor_token']) {
      await q.query(`DROP TRIGGER ${table}_credential_deleted ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_credential_changed ON ${table}`);
    }
    await q.query(`DROP FUNCTION mlsid_credential_changed()`);
  }
}
