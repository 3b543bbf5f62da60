import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountAdminService } from '../accounts/index.js';
import { CertificatesService } from '../certificates/index.js';
import { AdminRoute, CurrentPrincipal, Permission, type Principal } from '../common/access/index.js';
import { DevicesService } from '../devices/index.js';
import { effectiveSettings, OrgParam, type Org } from '../orgs/index.js';
import { DeviceMembershipsService } from '../removals/index.js';
import { DEFAULT_PAGE_SIZE } from '../common/paging/index.js';
import { AccountSearchQuery } from './dto/management.dto.js';
import { deviceView } from '../devices/index.js';
import { accountView, certificateView } from './management-views.js';

const uuid = new ParseUUIDPipe();

/** IT admins: find a person, see everything the service holds for them, suspend or resume them by hand. */
@ApiTags('admin: accounts')
@Controller('v1/admin/orgs/:org/accounts')
@AdminRoute('directory:read')
export class AccountAdminController {
  constructor(
    private readonly accounts: AccountAdminService,
    private readonly devices: DevicesService,
    private readonly certificates: CertificatesService,
    private readonly memberships: DeviceMembershipsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Search accounts by userName, email or name (case-insensitive) and status, page by page' })
  async search(@OrgParam() org: Org, @Query() q: AccountSearchQuery) {
    const page = await this.accounts.search(org.id, {
      text: q.q?.toLowerCase(),
      field: q.field ?? 'any',
      match: q.match ?? 'prefix',
      status: q.status,
      limit: q.limit ?? DEFAULT_PAGE_SIZE,
      cursor: q.cursor,
    });
    return { accounts: page.items.map(accountView), next: page.next };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account with its devices, certificates, directory and MLS groups, and pending removals' })
  async get(@OrgParam() org: Org, @Param('id', uuid) id: string) {
    const account = await this.accounts.get(org.id, id);
    const devices = await this.devices.ofAccounts(org.id, [id]);
    const deviceIds = devices.map((d) => d.id);
    const [certificates, mlsGroups, pendingRemovals] = await Promise.all([
      this.certificates.ofDevices(org.id, deviceIds),
      this.memberships.groupsOfDevices(org.id, deviceIds),
      this.memberships.openRemovalsOfDevices(org.id, deviceIds),
    ]);
    return {
      account: accountView(account),
      directoryGroups: account.groups,
      devices: devices.map((d) => ({
        ...deviceView(d),
        certificateNotAfter: d.credentialNotAfter,
        groups: [...new Set(mlsGroups.filter((g) => g.deviceId === d.id).map((g) => g.groupId))],
      })),
      certificates: certificates.map(certificateView),
      mlsGroups,
      pendingRemovals: pendingRemovals.map(({ proposal: _, ...r }) => r),
    };
  }

  /** The deprovisioning path by hand: every device revoked, Removes planned, a log entry; holds until resumed. */
  @Post(':id/suspend')
  @HttpCode(200)
  @Permission('revocations:manage')
  @ApiOperation({ summary: 'Suspend an account by hand (revokes its devices and certificates, removes them from their groups)' })
  async suspend(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    const result = await this.accounts.suspend(p.actor, org.id, id);
    return { ...result, account: accountView(await this.accounts.get(org.id, id)) };
  }

  /** The account is active again; its revoked certificates stay revoked (devices enroll anew). */
  @Post(':id/resume')
  @HttpCode(200)
  @Permission('revocations:manage')
  @ApiOperation({ summary: 'Resume an account an admin suspended (if it still holds the org entitlement)' })
  async resume(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    const { entitlementGroupId, entitlementGroupDisplayName } = effectiveSettings(org.settings).scim;
    await this.accounts.resume(p.actor, org.id, id, { id: entitlementGroupId, displayName: entitlementGroupDisplayName });
    return { account: accountView(await this.accounts.get(org.id, id)) };
  }
}
