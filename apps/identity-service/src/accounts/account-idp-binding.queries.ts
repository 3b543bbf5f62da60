import type { EntityManager } from 'typeorm';

/**
 * The only statements over `account_idp_binding`: which (IdP connection, subject) pairs name
 * an account. A subject means something only under the connection that issued it, so two
 * IdPs of one org that happen to give two people the same `sub` never meet here. A row with
 * no subject is an admin's link waiting for the person's first sign-in through the connection.
 */

/** How a binding came to be: a first sign-in matched the account, an admin linked it, or the schema change moved it here. */
export type IdpBindingOrigin = 'sign_in' | 'admin' | 'migration';

export interface IdpBinding {
  id: string;
  accountId: string;
  idpConnectionId: string;
  /** Null: linked by an admin, bound at the person's first sign-in through this connection. */
  subject: string | null;
  linkedBy: IdpBindingOrigin;
  createdAt: Date;
  boundAt: Date | null;
}

interface BindingRow {
  id: string;
  account_id: string;
  idp_connection_id: string;
  subject: string | null;
  linked_by: IdpBindingOrigin;
  created_at: Date;
  bound_at: Date | null;
}

const COLUMNS = 'b.id, b.account_id, b.idp_connection_id, b.subject, b.linked_by, b.created_at, b.bound_at';

const toBinding = (r: BindingRow): IdpBinding => ({
  id: r.id,
  accountId: r.account_id,
  idpConnectionId: r.idp_connection_id,
  subject: r.subject,
  linkedBy: r.linked_by,
  createdAt: r.created_at,
  boundAt: r.bound_at,
});

/** SQL condition over account alias `a`: it carries `subject` under the connection. */
export const BOUND_TO = (connectionParam: string, subjectParam: string) =>
  `EXISTS (SELECT 1 FROM account_idp_binding b WHERE b.account_id = a.id AND b.idp_connection_id = ${connectionParam} AND b.subject = ${subjectParam})`;

export async function bindingsOfAccount(m: EntityManager, orgId: string, accountId: string): Promise<IdpBinding[]> {
  const rows: BindingRow[] = await m.query(
    `SELECT ${COLUMNS} FROM account_idp_binding b WHERE b.org_id = $1 AND b.account_id = $2 ORDER BY b.created_at, b.id`,
    [orgId, accountId],
  );
  return rows.map(toBinding);
}

/** A deleted account's binding gives way to a live account the IdP provisioned again (or an admin links). */
async function releaseFromTombstone(m: EntityManager, orgId: string, connectionId: string, subject: string): Promise<void> {
  await m.query(
    `DELETE FROM account_idp_binding b USING account a
      WHERE b.account_id = a.id AND a.deleted_at IS NOT NULL AND b.org_id = $1 AND b.idp_connection_id = $2 AND b.subject = $3`,
    [orgId, connectionId, subject],
  );
}

/**
 * The account's binding for the connection gets `subject`: fills an admin's pending link, or
 * adds the binding. A tombstone that carried the subject hands it over (the IdP provisioned
 * the person again). False when a live account carries it already (two first sign-ins racing).
 */
export async function bindSubject(
  m: EntityManager,
  orgId: string,
  accountId: string,
  connectionId: string,
  subject: string,
  linkedBy: IdpBindingOrigin,
): Promise<boolean> {
  await releaseFromTombstone(m, orgId, connectionId, subject);
  // The subject's own unique index may still refuse (a racing first sign-in of another account):
  // a savepoint keeps that a refusal instead of an aborted transaction.
  await m.query('SAVEPOINT bind_idp_subject');
  try {
    const rows: unknown[] = await m.query(
      `INSERT INTO account_idp_binding AS b (org_id, account_id, idp_connection_id, subject, linked_by, bound_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (account_id, idp_connection_id) DO UPDATE SET subject = EXCLUDED.subject, bound_at = now()
         WHERE b.subject IS NULL
       RETURNING b.id`,
      [orgId, accountId, connectionId, subject, linkedBy],
    );
    await m.query('RELEASE SAVEPOINT bind_idp_subject');
    return rows.length === 1;
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
    await m.query('ROLLBACK TO SAVEPOINT bind_idp_subject');
    return false;
  }
}

/** An admin's link, with or without the subject. Null when the account or the subject is linked to the connection already. */
export async function insertLink(
  m: EntityManager,
  orgId: string,
  accountId: string,
  connectionId: string,
  subject: string | null,
): Promise<IdpBinding | null> {
  if (subject !== null) await releaseFromTombstone(m, orgId, connectionId, subject);
  const rows: BindingRow[] = await m.query(
    `INSERT INTO account_idp_binding AS b (org_id, account_id, idp_connection_id, subject, linked_by, bound_at)
     VALUES ($1, $2, $3, $4, 'admin', CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [orgId, accountId, connectionId, subject],
  );
  return rows[0] ? toBinding(rows[0]) : null;
}

/** The account that carries the subject under the connection, tombstones included. */
export async function carrierOf(
  m: EntityManager,
  orgId: string,
  connectionId: string,
  subject: string,
): Promise<{ id: string; deleted: boolean } | null> {
  const rows: { id: string; deleted: boolean }[] = await m.query(
    `SELECT a.id, a.deleted_at IS NOT NULL AS deleted FROM account_idp_binding b JOIN account a ON a.id = b.account_id
      WHERE b.org_id = $1 AND b.idp_connection_id = $2 AND b.subject = $3`,
    [orgId, connectionId, subject],
  );
  return rows[0] ?? null;
}

export async function deleteBinding(m: EntityManager, orgId: string, accountId: string, bindingId: string): Promise<IdpBinding | null> {
  const rows: [BindingRow[], number] | BindingRow[] = await m.query(
    `DELETE FROM account_idp_binding b WHERE b.org_id = $1 AND b.account_id = $2 AND b.id = $3 RETURNING ${COLUMNS}`,
    [orgId, accountId, bindingId],
  );
  // node-postgres through TypeORM answers a DELETE … RETURNING as [rows, count].
  const deleted = Array.isArray(rows[0]) ? (rows[0] as BindingRow[]) : (rows as BindingRow[]);
  return deleted[0] ? toBinding(deleted[0]) : null;
}
