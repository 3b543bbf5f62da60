import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../common/access/index.js';
import { DeviceAdminService } from '../devices/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { DeviceMembershipsService } from '../removals/index.js';

const uuid = new ParseUUIDPipe();

/** What the registry knows of one device: its MLS groups and the removals still open for it. */
@ApiTags('admin: devices')
@Controller('v1/admin/orgs/:org/devices')
@AdminRoute('directory:read')
export class DeviceAdminController {
  constructor(
    private readonly devices: DeviceAdminService,
    private readonly memberships: DeviceMembershipsService,
  ) {}

  @Get(':id/groups')
  @ApiOperation({ summary: 'The MLS groups the device is in (as last reported) and its open removals' })
  async groups(@OrgParam() org: Org, @Param('id', uuid) id: string) {
    await this.devices.get(org.id, id);
    const [groups, pendingRemovals] = await Promise.all([
      this.memberships.groupsOfDevices(org.id, [id]),
      this.memberships.openRemovalsOfDevices(org.id, [id]),
    ]);
    return { groups: groups.map(({ deviceId: _, ...g }) => g), pendingRemovals: pendingRemovals.map(({ proposal: _, ...r }) => r) };
  }
}
