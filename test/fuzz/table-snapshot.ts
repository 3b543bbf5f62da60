import type { DataSource } from 'typeorm';

/**
 * Columns a refused request may legitimately touch: a token that authenticated records its
 * use before the handler refuses the request. Everything else must stay exactly as it was.
 */
const BOOKKEEPING_COLUMNS = ['last_used_at'];
/**
 * And tables: the replay cache of device-signed requests records every verified signature's
 * jti before the handler runs, so that the same signature is refused next time even when this
 * request is refused for another reason (wrong org, bad body). The webhook replay limiter
 * counts every replay attempt before the delivery is looked up, so that probing unknown ids
 * spends the same budget as real replays. The audit chain's head row moves with every audit
 * entry, the break-glass token's own entries (below) included; the entries themselves are checked.
 * The anonymous enrollment limiter counts every request before it is validated, and anonymous
 * refusals are tallied per window (issue 13 §7).
 */
const BOOKKEEPING_TABLES = ['request_nonce', 'webhook_replay_limit', 'audit_chain_head', 'enrollment_rate_limit', 'enrollment_refusal_tally'];
/**
 * And rows: every use of the break-glass ADMIN_TOKEN is audited before the route runs, so a
 * refused request made with it still leaves that one audit row (and nothing else).
 */
const BOOKKEEPING_ROWS: Record<string, string> = { audit_event: `action <> 'admin.break_glass_used'` };

/** A digest of every row of every table in the service's schema, per table. */
export async function tableDigests(ds: DataSource): Promise<Record<string, string>> {
  const tables: { name: string }[] = await ds.query(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations' ORDER BY table_name`,
  );
  const drop = `ARRAY[${BOOKKEEPING_COLUMNS.map((c) => `'${c}'`).join(',')}]`;
  const parts = tables
    .filter(({ name }) => !BOOKKEEPING_TABLES.includes(name))
    .map(
      ({ name }) =>
        `'${name}', (SELECT md5(coalesce(string_agg((to_jsonb(r) - ${drop})::text, '|' ORDER BY (to_jsonb(r) - ${drop})::text), '')) FROM "${name}" r${BOOKKEEPING_ROWS[name] ? ` WHERE ${BOOKKEEPING_ROWS[name]}` : ''})`,
    );
  const [row] = await ds.query(`SELECT json_build_object(${parts.join(', ')}) AS digests`);
  return row.digests as Record<string, string>;
}

/** Names of the tables whose digest differs. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}
