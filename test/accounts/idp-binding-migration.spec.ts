import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/identity-service/src/database/data-source-options.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const MIGRATION = 'AccountIdpBindings1734000000000';

/**
 * Issue 13 §4: the one `account.idp_subject` of each account becomes a binding under the IdP
 * connection it came through — the one its latest enrollment names in the audit log, else the
 * org's only (or oldest) connection — and a subject a tombstone shares with a live account stays
 * with the live account.
 */
describe('migrating account subjects to per-connection bindings', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    await runMigrations(db.url);
    ds = new DataSource({ ...dataSourceOptions(db.url, 2) });
    await ds.initialize();
    // Back to the schema before this migration (and whatever came after it).
    while ((await ds.query(`SELECT 1 FROM schema_migration WHERE name = $1`, [MIGRATION])).length > 0)
      await ds.undoLastMigration({ transaction: 'each' });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('binds each subject under the connection it came through, and drops the old column', async () => {
    const one = async (sql: string, params: unknown[]) => ((await ds.query(sql, params)) as { id: string }[])[0].id;
    const org = (slug: string) => one(`INSERT INTO org (slug, name) VALUES ($1, $1) RETURNING id`, [slug]);
    const connection = (orgId: string, name: string, createdAt: string) =>
      one(`INSERT INTO idp_connection (org_id, name, kind, issuer, client_id, created_at) VALUES ($1, $2, 'okta', $3, 'c', $4) RETURNING id`, [
        orgId,
        name,
        `https://${name}.example`,
        createdAt,
      ]);
    const account = (orgId: string, userName: string, subject: string | null, deleted = false) =>
      one(`INSERT INTO account (org_id, user_name, idp_subject, deleted_at) VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END) RETURNING id`, [
        orgId,
        userName,
        subject,
        deleted,
      ]);
    const enrolled = (orgId: string, subject: string, connectionId: string, action = 'device.enroll') =>
      ds.query(`INSERT INTO audit_event (org_id, actor, action, target, details) VALUES ($1, $2, $3, 'device:x', $4)`, [
        orgId,
        `idp-subject:${subject}`,
        action,
        { idpConnection: connectionId },
      ]);

    const single = await org('single');
    const only = await connection(single, 'okta', '2024-01-01');
    const a1 = await account(single, 'a1', 'S1');
    const tombstone = await account(single, 'gone', 'S5', true);
    const live = await account(single, 'back', 'S5');
    const unbound = await account(single, 'never', null);

    const two = await org('two');
    const older = await connection(two, 'okta', '2024-01-01');
    const newer = await connection(two, 'entra', '2024-06-01');
    const viaNewer = await account(two, 'a2', 'S2');
    await enrolled(two, 'S2', older);
    await enrolled(two, 'S2', newer, 'device.reauthenticate');
    const noEvidence = await account(two, 'a3', 'S3');

    await runMigrations(db.url);
    const bindings: { account_id: string; idp_connection_id: string; subject: string; linked_by: string }[] = await ds.query(
      `SELECT account_id, idp_connection_id, subject, linked_by FROM account_idp_binding`,
    );
    const of = (accountId: string) => bindings.filter((b) => b.account_id === accountId).map((b) => [b.idp_connection_id, b.subject]);
    expect(of(a1)).toEqual([[only, 'S1']]);
    expect(of(live)).toEqual([[only, 'S5']]);
    expect(of(tombstone)).toEqual([]);
    expect(of(unbound)).toEqual([]);
    // The latest sign-in the audit log records for the subject names the connection.
    expect(of(viaNewer)).toEqual([[newer, 'S2']]);
    expect(of(noEvidence)).toEqual([[older, 'S3']]);
    expect(new Set(bindings.map((b) => b.linked_by))).toEqual(new Set(['migration']));
    const column = await ds.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'account' AND column_name = 'idp_subject'`);
    expect(column).toEqual([]);
  });
});
