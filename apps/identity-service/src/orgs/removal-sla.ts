import type { EntityManager } from 'typeorm';
import { DEFAULT_SETTINGS } from './org-settings.js';

/** The removal SLA as the removals module reads it for many orgs at once (a metrics scrape). */

/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
type Db = Pick<EntityManager, 'query'>;

/** settings.removals.overdueAfterMinutes, else the default, in SQL over the org row `o`. */
const OVERDUE_AFTER_MINUTES = `COALESCE((o.settings->'removals'->>'overdueAfterMinutes')::int, ${DEFAULT_SETTINGS.removals.overdueAfterMinutes})`;

/** settings.removals.reportStaleAfterMinutes, else the default. */
const REPORT_STALE_AFTER_MINUTES = `COALESCE((o.settings->'removals'->>'reportStaleAfterMinutes')::int, ${DEFAULT_SETTINGS.removals.reportStaleAfterMinutes})`;

export interface RemovalSla {
  orgId: string;
  slug: string;
  overdueAfterMinutes: number;
  reportStaleAfterMinutes: number;
}

/** The removal SLA of every org (or of one), from its settings. */
export async function removalSlas(db: Db, orgId?: string): Promise<RemovalSla[]> {
  const rows: { id: string; slug: string; minutes: number; stale_minutes: number }[] = await db.query(
    `SELECT o.id, o.slug, ${OVERDUE_AFTER_MINUTES} AS minutes, ${REPORT_STALE_AFTER_MINUTES} AS stale_minutes
       FROM org o${orgId === undefined ? '' : ' WHERE o.id = $1'}`,
    orgId === undefined ? [] : [orgId],
  );
  return rows.map((r) => ({ orgId: r.id, slug: r.slug, overdueAfterMinutes: r.minutes, reportStaleAfterMinutes: r.stale_minutes }));
}
