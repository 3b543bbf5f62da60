import type { Querier } from './postgres-hash-reader.js';

/**
 * kt_pending (events staged for the sequencer) and kt_entry (the log's leaves). An event's
 * source id is its kt.append outbox message id, unique across both tables.
 */

export interface StagedEvent {
  orgId: string;
  sourceId: string;
  /** The encoded log entry (libs/tlog). */
  entry: Buffer;
  accountId: string | null;
  certificateSha256: Buffer | null;
}

export interface PendingRow extends Omit<StagedEvent, 'orgId'> {
  /** Staging order. */
  id: string;
}

/** Stages events; one whose source is already staged or in the log is skipped. */
export async function stageEvents(db: Querier, events: readonly StagedEvent[]): Promise<void> {
  await db.query(
    `INSERT INTO kt_pending (org_id, source_id, entry, account_id, certificate_sha256)
     SELECT x.org_id, x.source_id, x.entry, x.account_id, x.certificate_sha256
       FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::text[], $5::bytea[])
            AS x(org_id, source_id, entry, account_id, certificate_sha256)
      WHERE NOT EXISTS (SELECT 1 FROM kt_entry e WHERE e.source_id = x.source_id)
     ON CONFLICT (source_id) DO NOTHING`,
    [
      events.map((e) => e.orgId),
      events.map((e) => e.sourceId),
      events.map((e) => e.entry),
      events.map((e) => e.accountId),
      events.map((e) => e.certificateSha256),
    ],
  );
}

/** The oldest staged events of the org's log. */
export async function pendingBatch(db: Querier, orgId: string, limit: number): Promise<PendingRow[]> {
  const rows: { id: string; source_id: string; entry: Buffer; account_id: string | null; certificate_sha256: Buffer | null }[] = await db.query(
    `SELECT id, source_id, entry, account_id, certificate_sha256 FROM kt_pending WHERE org_id = $1 ORDER BY id LIMIT $2`,
    [orgId, limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    sourceId: String(r.source_id),
    entry: r.entry,
    accountId: r.account_id,
    certificateSha256: r.certificate_sha256,
  }));
}

export async function deletePending(db: Querier, ids: readonly string[]): Promise<void> {
  await db.query(`DELETE FROM kt_pending WHERE id = ANY($1::bigint[])`, [ids]);
}

export async function countPending(db: Querier): Promise<number> {
  const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM kt_pending`);
  return row!.n;
}

/**
 * The orgs with staged events: a skip scan over the (org_id, id) index, one probe per such
 * org, never a scan of a possibly large backlog.
 */
export async function orgsWithPending(db: Querier): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `WITH RECURSIVE o(id) AS (
       (SELECT org_id FROM kt_pending ORDER BY org_id LIMIT 1)
       UNION ALL
       SELECT (SELECT p.org_id FROM kt_pending p WHERE p.org_id > o.id ORDER BY p.org_id LIMIT 1) FROM o WHERE o.id IS NOT NULL
     )
     SELECT id FROM o WHERE id IS NOT NULL`,
  );
  return rows.map((r) => r.id);
}

/** Which of these sources already have a log entry. */
export async function loggedSources(db: Querier, sourceIds: readonly string[]): Promise<Set<string>> {
  const rows: { source_id: string }[] = await db.query(`SELECT source_id FROM kt_entry WHERE source_id = ANY($1::bigint[])`, [sourceIds]);
  return new Set(rows.map((r) => String(r.source_id)));
}

/** Appends the events as the entries `firstIndex`, `firstIndex + 1`, …. */
export async function insertEntries(db: Querier, orgId: string, firstIndex: number, rows: readonly Omit<StagedEvent, 'orgId'>[]): Promise<void> {
  await db.query(
    `INSERT INTO kt_entry (org_id, idx, entry, source_id, account_id, certificate_sha256)
     SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bigint[], $5::text[], $6::bytea[])`,
    [
      orgId,
      rows.map((_, i) => String(firstIndex + i)),
      rows.map((r) => r.entry),
      rows.map((r) => r.sourceId),
      rows.map((r) => r.accountId),
      rows.map((r) => r.certificateSha256),
    ],
  );
}

export interface LoggedEntry {
  index: number;
  entry: Uint8Array;
}

const logged = (rows: { idx: string; entry: Buffer }[]): LoggedEntry[] => rows.map((r) => ({ index: Number(r.idx), entry: new Uint8Array(r.entry) }));

/** Entries `from` ≤ index < `to`, in order. */
export async function entriesInRange(db: Querier, orgId: string, from: number, to: number): Promise<LoggedEntry[]> {
  return logged(
    await db.query(`SELECT idx, entry FROM kt_entry WHERE org_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`, [orgId, String(from), String(to)]),
  );
}

/** Entries naming the account below `size`, oldest first. */
export async function accountEntries(db: Querier, orgId: string, accountId: string, size: number): Promise<LoggedEntry[]> {
  return logged(
    await db.query(`SELECT idx, entry FROM kt_entry WHERE org_id = $1 AND account_id = $2 AND idx < $3 ORDER BY idx`, [
      orgId,
      accountId,
      String(size),
    ]),
  );
}

/** Entries about the certificate (SHA-256 of its DER), oldest first. */
export async function certificateEntries(db: Querier, orgId: string, certificateSha256: Uint8Array): Promise<LoggedEntry[]> {
  return logged(
    await db.query(`SELECT idx, entry FROM kt_entry WHERE org_id = $1 AND certificate_sha256 = $2 ORDER BY idx`, [
      orgId,
      Buffer.from(certificateSha256),
    ]),
  );
}

/** The index of the source's entry, or null when it has none (yet). */
export async function entryIndexBySource(db: Querier, orgId: string, sourceId: string): Promise<number | null> {
  const [row]: { idx: string }[] = await db.query(`SELECT idx FROM kt_entry WHERE org_id = $1 AND source_id = $2`, [orgId, sourceId]);
  return row ? Number(row.idx) : null;
}

export async function isStaged(db: Querier, orgId: string, sourceId: string): Promise<boolean> {
  const [row]: { staged: boolean }[] = await db.query(`SELECT EXISTS (SELECT 1 FROM kt_pending WHERE org_id = $1 AND source_id = $2) AS staged`, [
    orgId,
    sourceId,
  ]);
  return row!.staged;
}

/** The org's audit_anchor entries (event type 12, see the kt_entry_audit_anchor index) below `size`, oldest first. */
export async function auditAnchorEntries(db: Querier, orgId: string, size: number): Promise<LoggedEntry[]> {
  return logged(
    await db.query(`SELECT idx, entry FROM kt_entry WHERE org_id = $1 AND get_byte(entry, 1) = 12 AND idx < $2 ORDER BY idx`, [orgId, String(size)]),
  );
}
