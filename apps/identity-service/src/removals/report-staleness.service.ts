import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { Metrics } from '../metrics/index.js';
import { removalSlas } from '../orgs/index.js';
import { staleGroupCounts, staleGroups, type StaleGroupRow } from './stale-groups.queries.js';

/** Per-group series are exported for the stalest groups of each org only, to bound the metric's cardinality. */
export const STALE_GROUP_SERIES_PER_ORG = 20;

export interface StaleGroupView {
  /** Unpadded base64url, as in /v1/ds/groups/{groupId}. */
  groupId: string;
  /** Hex SHA-256 of the group id: the group's label in metrics and its field in the transparency log. */
  groupIdSha256: string;
  epoch: string;
  reportedAt: string;
  pendingRemovals: number;
  oldestPlannedAt: string;
  staleSeconds: number;
}

const groupHash = (groupId: Buffer) => createHash('sha256').update(groupId).digest('hex');

function view(r: StaleGroupRow): StaleGroupView {
  return {
    groupId: r.group_id.toString('base64url'),
    groupIdSha256: groupHash(r.group_id),
    epoch: String(r.epoch),
    reportedAt: r.reported_at.toISOString(),
    pendingRemovals: r.pending,
    oldestPlannedAt: r.oldest_planned_at.toISOString(),
    staleSeconds: Math.floor(r.stale_seconds),
  };
}

/**
 * Report staleness (issue 12 §5): a group with open removals whose delivery service stopped
 * reporting it. Overdue removals catch a DS that reports but never commits; this catches one
 * that goes silent, which would otherwise look the same as one slow to commit. Exported as
 * `mls_groups_report_stale{org}` and, for the stalest groups, `mls_group_report_stale_seconds{org,group}`
 * where `group` is the SHA-256 of the group id: /metrics is scraped without credentials, and
 * group ids are chosen by clients (often room names).
 */
@Injectable()
export class ReportStalenessService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: Metrics,
  ) {
    const service = this;
    new Gauge({
      name: 'mls_groups_report_stale',
      help: 'MLS groups with open removals and no report for settings.removals.reportStaleAfterMinutes',
      labelNames: ['org'],
      registers: [metrics.registry],
      async collect() {
        const slas = await removalSlas(service.dataSource);
        const counts = await staleGroupCounts(service.dataSource, slas);
        this.reset();
        for (const s of slas) this.set({ org: s.slug }, counts.get(s.orgId) ?? 0);
      },
    });
    new Gauge({
      name: 'mls_group_report_stale_seconds',
      help: `seconds since a group with open removals was last reported (or its oldest open removal planned), for the ${STALE_GROUP_SERIES_PER_ORG} stalest stale groups per org`,
      labelNames: ['org', 'group'],
      registers: [metrics.registry],
      async collect() {
        const slas = await removalSlas(service.dataSource);
        const slugs = new Map(slas.map((s) => [s.orgId, s.slug]));
        const rows = await staleGroups(service.dataSource, slas, STALE_GROUP_SERIES_PER_ORG);
        this.reset();
        for (const r of rows) this.set({ org: slugs.get(r.org_id)!, group: groupHash(r.group_id) }, Math.floor(r.stale_seconds));
      },
    });
  }

  async list(orgId: string, limit: number): Promise<StaleGroupView[]> {
    const slas = await removalSlas(this.dataSource, orgId);
    return (await staleGroups(this.dataSource, slas, limit)).map(view);
  }
}
