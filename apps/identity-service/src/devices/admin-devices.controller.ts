import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DEFAULT_PAGE_SIZE } from '../common/paging/index.js';
import { deviceView } from './device.view.js';
import { AdminRoute, Permission } from '../common/access/index.js';
import { CurrentPrincipal } from '../common/access/index.js';
import type { Principal } from '../common/access/index.js';
import { CertificatesService } from '../certificates/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { OutboxWorker } from '../outbox/index.js';
import { KtReader } from '../transparency/index.js';
import { DeviceAdminService } from './device-admin.service.js';
import { DeviceRevocationService } from './device-revocation.service.js';
import { DeviceErrors } from './devices.errors.js';
import { DeviceSearchQuery, RenameDeviceDto } from './dto/device-admin.dto.js';
import { RevokeDto } from './dto/revoke.dto.js';

const uuid = new ParseUUIDPipe();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** IT admins: the org's devices (search, rename), a lost device, one bad certificate. */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@AdminRoute('directory:read')
export class AdminDevicesController {
  constructor(
    private readonly admin: DeviceAdminService,
    private readonly revocation: DeviceRevocationService,
    private readonly certificates: CertificatesService,
    private readonly kt: KtReader,
    private readonly outbox: OutboxWorker,
  ) {}

  /** The org's devices, oldest first, one page at a time: `next` is null on the last page. */
  @Get('devices')
  @ApiOperation({ summary: 'Search and page the devices (status, platform, account, name prefix)' })
  async list(@OrgParam() org: Org, @Query() q: DeviceSearchQuery) {
    if (q.accountId !== undefined && !UUID.test(q.accountId)) throw DeviceErrors.error('invalid_account_id', 'accountId must be a UUID');
    const page = await this.admin.search(org.id, {
      status: q.status,
      platform: q.platform,
      accountId: q.accountId,
      namePrefix: q.name,
      limit: q.limit ?? DEFAULT_PAGE_SIZE,
      cursor: q.cursor,
    });
    return { devices: page.items.map(deviceView), next: page.next };
  }

  @Get('devices/:id')
  @ApiOperation({ summary: 'One device' })
  async get(@OrgParam() org: Org, @Param('id', uuid) id: string) {
    return deviceView(await this.admin.get(org.id, id));
  }

  @Patch('devices/:id')
  @Permission('devices:support')
  @ApiOperation({ summary: 'Rename a device' })
  async rename(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RenameDeviceDto) {
    return deviceView(await this.admin.rename(p.actor, org.id, id, body.name));
  }

  /**
   * Helpdesk reports a lost device: revoked as keyCompromise with its certificates, and signed
   * Removes planned for every group it is in (the delivery services' feed), with log entries.
   */
  @Post('devices/:id/lost')
  @HttpCode(200)
  @Permission('devices:support')
  @ApiOperation({ summary: 'Report a lost device: revoke it, remove it from its MLS groups, log it' })
  async reportLost(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string) {
    const result = await this.admin.reportLost(p.actor, org.id, id);
    return { ...result, transparency: await this.receipts(org, result.certificates) };
  }

  /** A lost or stolen device: its certificates are revoked and it is removed from its MLS groups. */
  @Post('devices/:id/revoke')
  @Permission('revocations:manage')
  async revokeDevice(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeDevice(p.actor, org.id, id, body.reason ?? 'keyCompromise');
    return { ...result, transparency: await this.receipts(org, result.certificates) };
  }

  @Post('certificates/:id/revoke')
  @Permission('revocations:manage')
  async revokeCertificate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Param('id', uuid) id: string, @Body() body: RevokeDto) {
    const result = await this.revocation.revokeCertificate(p.actor, org.id, id, body.reason ?? 'unspecified');
    return { ...result, transparency: result.revoked ? (await this.receipts(org, [id]))[0] : null };
  }

  /** The log entries of revoked certificates (waits briefly for the sequencer). */
  private async receipts(org: Org, certificateIds: string[]) {
    if (certificateIds.length === 0) return [];
    this.outbox.nudge();
    const revoked = await this.certificates.findByIds(org.id, certificateIds);
    return Promise.all(
      revoked.map(async (c) => ({ certificateId: c.id, ...(await this.kt.receipt(org, c.sha256.toString('hex'), 'certificate_revoked')) })),
    );
  }
}
