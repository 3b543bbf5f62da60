import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replicas cache each log's latest checkpoint and partial tiles. Whatever changes a log's head
 * (a sequenced batch, a re-signed checkpoint, a restore) notifies `mlsid_kt_log_changed` with
 * the org id when its transaction commits, so every replica drops what it cached for that log.
 */
export class KtLogChangeNotify1734600001000 implements MigrationInterface {
  name = 'KtLogChangeNotify1734600001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION mlsid_kt_log_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mlsid_kt_log_changed', (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END)::text);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER kt_log_changed AFTER UPDATE OR DELETE ON kt_log FOR EACH ROW EXECUTE FUNCTION mlsid_kt_log_changed()`);
    await q.query(
      `CREATE TRIGGER kt_checkpoint_changed AFTER INSERT OR UPDATE OR DELETE ON kt_checkpoint FOR EACH ROW EXECUTE FUNCTION mlsid_kt_log_changed()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER kt_checkpoint_changed ON kt_checkpoint`);
    await q.query(`DROP TRIGGER kt_log_changed ON kt_log`);
    await q.query(`DROP FUNCTION mlsid_kt_log_changed()`);
  }
}
