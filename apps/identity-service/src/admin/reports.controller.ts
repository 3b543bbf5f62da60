import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CertificatesService } from '../certificates/index.js';
import { AdminRoute } from '../common/access/index.js';
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
  @ApiOperation({ summary: 'Devices per status, and per status and platform' })
  async devicesByStatus(@OrgParam() org: Org) {
    const rows = await this.devices.devicesByStatus(org.id);
    const byStatus: Record<string, number> = { active: 0, revoked: 0, expired: 0 };
    for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + r.count;
    return { byStatus, byStatusAndPlatform: rows };
  }

  @Get('enrollments')
  @ApiOperation({ summary: 'Devices enrolled per UTC day over the last `days` days (every day listed, zeros included)' })
  async enrollments(@OrgParam() org: Org, @Query() q: ReportDaysQuery) {
    const days = q.days ?? 30;
    const counts = new Map((await this.devices.enrolledPerDay(org.id, days)).map((r) => [r.day, r.count]));
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    const perDay = Array.from({ length: days }, (_, i) => {
      const day = new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
      return { day, count: counts.get(day) ?? 0 };
    });
    return { days, total: perDay.reduce((n, d) => n + d.count, 0), perDay };
  }

  @Get('certificate-expiry')
  @ApiOperation({ summary: 'Live certificates ending in each day (or ISO week) of the next `days` days' })
  async certificateExpiry(@OrgParam() org: Org, @Query() q: ExpiryHorizonQuery) {
    const days = q.days ?? 30;
    const bucket = q.bucket ?? 'day';
    const buckets = await this.certificates.expiryHorizon(org.id, days, bucket);
    return { days, bucket, total: buckets.reduce((n, b) => n + b.count, 0), buckets };
  }
}
