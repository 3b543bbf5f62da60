import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Several IdPs per org (issue 13 §4): an IdP subject means something only under the connection
 * that issued it, so an account's bindings become (connection, subject) pairs, and one account
 * may hold one per connection. A row with no subject is an admin's link still waiting for the
 * person's first sign-in through that connection.
 *
 * Existing bindings move to the connection they came through: the one the account's latest
 * enrollment or re-authentication names in the audit log, else the org's only connection, else
 * its oldest. A wrong guess fails closed: the person is refused through the other connection
 * (`account_not_linked`) until an admin links it.
 */
export class AccountIdpBindings1734000000000 implements MigrationInterface {
  name = 'AccountIdpBindings1734000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account_idp_binding (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES account(id) ON DELETE CASCADE,
        idp_connection_id uuid NOT NULL REFERENCES idp_connection(id) ON DELETE CASCADE,
        subject text,
        linked_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        bound_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX account_idp_binding_account_connection ON account_idp_binding(account_id, idp_connection_id)`);
    await q.query(`CREATE UNIQUE INDEX account_idp_binding_subject ON account_idp_binding(idp_connection_id, subject) WHERE subject IS NOT NULL`);
    await q.query(`CREATE INDEX account_idp_binding_org ON account_idp_binding(org_id, account_id)`);
    await q.query(`
      INSERT INTO account_idp_binding (org_id, account_id, idp_connection_id, subject, linked_by, created_at, bound_at)
      SELECT a.org_id, a.id, chosen.id, a.idp_subject, 'migration', a.created_at, a.created_at
        FROM account a
        CROSS JOIN LATERAL (
          SELECT c.id FROM idp_connection c
           WHERE c.org_id = a.org_id
           ORDER BY (
             SELECT max(e.id) FROM audit_event e
              WHERE e.org_id = a.org_id
                AND e.action IN ('device.enroll', 'device.reauthenticate')
                AND e.actor = 'idp-subject:' || a.idp_subject
                AND e.details->>'idpConnection' = c.id::text
           ) DESC NULLS LAST, c.created_at, c.id
           LIMIT 1
        ) chosen
       WHERE a.idp_subject IS NOT NULL
       -- A subject a tombstone and a live account both carried stays with the live account.
       ORDER BY a.deleted_at NULLS FIRST, a.created_at DESC
       ON CONFLICT DO NOTHING`);
    await q.query(`DROP INDEX IF EXISTS account_org_idp_subject`);
    await q.query(`ALTER TABLE account DROP COLUMN idp_subject`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account ADD COLUMN idp_subject text`);
    await q.query(`
      UPDATE account a SET idp_subject = b.subject
        FROM (SELECT DISTINCT ON (account_id) account_id, subject FROM account_idp_binding
               WHERE subject IS NOT NULL ORDER BY account_id, bound_at) b
       WHERE b.account_id = a.id`);
    await q.query(`CREATE INDEX account_org_idp_subject ON account(org_id, idp_subject)`);
    await q.query(`DROP TABLE account_idp_binding`);
  }
}
