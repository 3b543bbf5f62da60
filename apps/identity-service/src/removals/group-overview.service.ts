import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { removalSlas } from '../orgs/index.js';
import { groupOverviewPage, groupRoster, openRemovalCounts, removalLatencyByDay } from './group-overview.queries.js';
import { findGroup } from './group.repository.js';
import { RemovalErrors } from './removals.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The keyset position as an opaque token: callers hand back what they were given, nothing else. */
function encodeCursor(createdKey: string, id: string): string {
  return Buffer.from(JSON.stringify([createdKey, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && UUID.test(id) && !Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
  } catch {
    // falls through to the refusal
  }
  return RemovalErrors.raise('bad_group_cursor', 'the cursor is not one this service handed out');
}

/** What the console's Groups and Overview pages show of the org's groups and removals. */
@Injectable()
export class GroupOverviewService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private async overdueAfterMinutes(orgId: string): Promise<number> {
    const [sla] = await removalSlas(this.dataSource, orgId);
    return sla?.overdueAfterMinutes ?? 60;
  }

  async page(orgId: string, cursor: string | undefined, limit: number) {
    const after = cursor ? decodeCursor(cursor) : null;
    const rows = await groupOverviewPage(this.dataSource, orgId, await this.overdueAfterMinutes(orgId), after, limit + 1);
    const more = rows.length > limit;
    const shown = rows.slice(0, limit);
    const last = shown.at(-1);
    return {
      groups: shown.map((g) => ({
        groupId: g.group_id.toString('base64url'),
        epoch: Number(g.epoch),
        members: g.members,
        registeredAt: g.created_at,
        lastReportAt: g.updated_at,
        pendingRemovals: g.pending,
        overdueRemovals: g.overdue,
        flagged: g.continuity_flag,
        roomAdmins: g.room_admins,
        membershipPolicy: g.membership,
        dsClientId: g.ds_client_id,
      })),
      next: more && last ? encodeCursor(last.created_key, last.id) : null,
    };
  }

  /** One group's members (leaf, account, device, credential identity) and which of them a removal is open for. */
  async roster(orgId: string, groupId: Buffer) {
    const row = await findGroup(this.dataSource.manager, orgId, groupId);
    if (!row) return RemovalErrors.raise('unknown_group', 'no such group is registered for this org');
    const members = await groupRoster(this.dataSource, row.id);
    return {
      groupId: groupId.toString('base64url'),
      epoch: Number(row.epoch),
      members: members.map((m) => ({
        leafIndex: m.leaf_index,
        accountId: m.account_id,
        deviceId: m.device_id,
        identity: m.identity,
        pendingRemoval: m.pending_removal,
      })),
    };
  }

  /** Open and overdue removals now, and removal latency per day over the last `days` days. */
  async removalReport(orgId: string, days: number) {
    const sla = await this.overdueAfterMinutes(orgId);
    const [counts, latency] = await Promise.all([openRemovalCounts(this.dataSource, orgId, sla), removalLatencyByDay(this.dataSource, orgId, days)]);
    return {
      ...counts,
      overdueAfterMinutes: sla,
      latency: latency.map((d) => ({ day: d.day, p50Seconds: d.p50, p95Seconds: d.p95, committed: d.committed })),
    };
  }
}
