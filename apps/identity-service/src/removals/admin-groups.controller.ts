import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminRoute, Permission } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { GroupPageQueryDto, ReportWindowDto } from './dto/group-overview.dto.js';
import { GroupOverviewService } from './group-overview.service.js';
import { groupIdFromPath } from './mls-input.js';

/** IT admins: the org's registered groups, and how fast removals are committed. */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org')
@AdminRoute('directory:read')
export class AdminGroupsController {
  constructor(private readonly overview: GroupOverviewService) {}

  @Get('mls/groups')
  async groups(@OrgParam() org: Org, @Query() q: GroupPageQueryDto) {
    return this.overview.page(org.id, q.cursor, q.limit ?? 50);
  }

  @Get('mls/groups/:groupId/roster')
  async roster(@OrgParam() org: Org, @Param('groupId') groupId: string) {
    return this.overview.roster(org.id, groupIdFromPath(groupId));
  }

  @Get('reports/removals')
  @Permission('reports:read')
  async removals(@OrgParam() org: Org, @Query() q: ReportWindowDto) {
    return this.overview.removalReport(org.id, q.days ?? 30);
  }
}
