import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Metrics } from '../metrics/metrics.js';
import { DEFAULT_SETTINGS } from '../orgs/org-settings.js';
import { removalView, REMOVAL_VIEW_COLUMNS, type RemovalView, type RemovalViewRow } from './removal.view.js';

/** The org's SLA in SQL: settings.removals.overdueAfterMinutes, else the default. */
const SLA = `make_interval(mins => COALESCE((o.settings->'removals'->>'overdueAfterMinutes')::int, ${DEFAULT_SETTINGS.removals.overdueAfterMinutes}))`;

/**
 * Removals still not committed past the org's SLA: a delivery service that suppresses or
 * delays removals shows up here and in the `removals_overdue` gauge (per org slug).
 */
@Injectable()
export class OverdueRemovalsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: Metrics,
  ) {
    const service = this;
    new Gauge({
      name: 'removals_overdue',
      help: 'MLS removals not committed within the org SLA (settings.removals.overdueAfterMinutes)',
      labelNames: ['org'],
      registers: [metrics.registry],
      async collect() {
        const rows: { slug: string; n: number }[] = await service.dataSource.query(
          `SELECT o.slug, count(r.id)::int AS n FROM org o
             LEFT JOIN removal r ON r.org_id = o.id AND r.status IN ('pending', 'delivered') AND r.planned_at < now() - ${SLA}
            GROUP BY o.slug`,
        );
        this.reset();
        for (const r of rows) this.set({ org: r.slug }, r.n);
      },
    });
  }

  async list(orgId: string, limit: number): Promise<(RemovalView & { overdueSeconds: number })[]> {
    const rows: (RemovalViewRow & { overdue_seconds: number })[] = await this.dataSource.query(
      `SELECT ${REMOVAL_VIEW_COLUMNS}, EXTRACT(EPOCH FROM now() - r.planned_at - ${SLA})::float AS overdue_seconds
         FROM removal r JOIN mls_group g ON g.id = r.group_ref JOIN org o ON o.id = r.org_id
        WHERE r.org_id = $1 AND r.status IN ('pending', 'delivered') AND r.planned_at < now() - ${SLA}
        ORDER BY r.planned_at LIMIT $2`,
      [orgId, limit],
    );
    return rows.map((r) => ({ ...removalView(r), overdueSeconds: Math.floor(r.overdue_seconds) }));
  }
}
