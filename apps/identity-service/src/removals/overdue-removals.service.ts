import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Metrics } from '../metrics/index.js';
import { removalSlas } from '../orgs/index.js';
import { overdueCounts, overdueRemovals } from './removal.repository.js';
import { removalView, type RemovalView } from './removal.view.js';

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
        const slas = await removalSlas(service.dataSource);
        const counts = await overdueCounts(service.dataSource, slas);
        this.reset();
        for (const s of slas) this.set({ org: s.slug }, counts.get(s.orgId) ?? 0);
      },
    });
  }

  /** The org's overdue removals; with `dsClientId`, only those of the groups that client owns. */
  async list(orgId: string, limit: number, dsClientId?: string): Promise<(RemovalView & { overdueSeconds: number })[]> {
    const [sla] = await removalSlas(this.dataSource, orgId);
    if (!sla) return [];
    const rows = await overdueRemovals(this.dataSource, orgId, sla.overdueAfterMinutes, limit, dsClientId);
    return rows.map((r) => ({ ...removalView(r), overdueSeconds: Math.floor(r.overdue_seconds) }));
  }
}
