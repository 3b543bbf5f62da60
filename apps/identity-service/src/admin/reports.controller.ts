import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CertificatesService } from '../certificates/index.js';
import { AdminRoute } from '../common/access/index.js';
import { AccountAdminService } from '../accounts/index.js';
import { DeviceAdminService } from '../devices/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { DeviceMembershipsService } from '../removals/index.js';
import { ExpiryHorizonQuery, ReportDaysQuery } from './dto/management.dto.js';

/** Dashboards: where removals are late, the fleet by status, enrollments over time, what expires when. */
@ApiTags('admin: reports')
@Controller('v1/admin/orgs/:org/reports')
@AdminRoute('reports:read')
export class ReportsController {
  constructor(
    private readonly memberships: DeviceMembershipsService,
    private readonly devices: DeviceAdminService,
    private readonly certificates: CertificatesService,
    private readonly accounts: AccountAdminService,
  ) {}

  @Get('overdue-removals')
  @ApiOperation({ summary: 'Open removals past the org SLA, per group and per delivery-service client' })
  async overdueRemovals(@OrgParam() org: Org) {
    const { overdueAfterMinutes, groups } = await this.memberships.overdueByGroup(org.id);
    const byClient = new Map<string | null, { dsClientId: string | null; groups: number; overdue: number }>();
    for (const g of groups) {
      const entry = byClient.get(g.dsClientId) ?? { dsClientId: g.dsClientId, groups: 0, overdue: 0 };
      entry.groups += 1;
      entry.overdue += g.overdue;
      byClient.set(g.dsClientId, entry);
    }
    return { overdueAfterMinutes, total: groups.reduce((n, g) => n + g.overdue, 0), byDsClient: [...byClient.values()], byGroup: groups };
  }

  @Get('devices-by-status')
  @ApiOperation({ summary: 'Devices per status (and per status and platform), accounts per status' })
  async devicesByStatus(@OrgParam() org: Org) {
    const [rows, accountRows] = await Promise.all([this.devices.devicesByStatus(org.id), this.accounts.countByStatus(org.id)]);
    const devices: Record<string, number> = { active: 0, revoked: 0, expired: 0 };
    for (const r of rows) devices[r.status] = (devices[r.status] ?? 0) + r.count;
    const accounts: Record<string, number> = { active: 0, suspended: 0, inactive: 0 };
    for (const r of accountRows) accounts[r.status] = r.count;
    return { devices, accounts, devicesByStatusAndPlatform: rows };
  }

  @Get('enrollments')
  @ApiOperation({ summary: 'Devices enrolled per UTC day over the last `days` days (every day listed, zeros included)' })
  async enrollments(@OrgParam() org: Org, @Query() q: ReportDaysQuery) {
    const span = q.days ?? 30;
    const counts = new Map((await this.devices.enrolledPerDay(org.id, span)).map((r) => [r.day, r.count]));
    const now = new Date();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const days = Array.from({ length: span }, (_, i) => {
      const day = new Date(today - (span - 1 - i) * 86_400_000).toISOString().slice(0, 10);
      return { day, count: counts.get(day) ?? 0 };
    });
    return { bucket: 'day', total: days.reduce((n, d) => n + d.count, 0), days };
  }

  @Get('certificate-expiry')
  @ApiOperation({ summary: 'Live certificates ending in each day (or ISO week, `day` = its Monday) of the next `days` days' })
  async certificateExpiry(@OrgParam() org: Org, @Query() q: ExpiryHorizonQuery) {
    const bucket = q.bucket ?? 'day';
    const buckets = await this.certificates.expiryHorizon(org.id, q.days ?? 30, bucket);
    return { bucket, total: buckets.reduce((n, b) => n + b.count, 0), days: buckets.map((b) => ({ day: b.start, count: b.count })) };
  }
}
