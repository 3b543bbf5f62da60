import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Equals, IsBoolean } from 'class-validator';
import { AdminRoute, Authenticated, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { FeedQueryDto } from './dto/removals.dto.js';
import { ExternalSenderRotationService } from './external-sender-rotation.service.js';

type Ds = Extract<Principal, { kind: 'ds' }>;

export class ForceRetireDto {
  @ApiPropertyOptional({ description: 'must be true: groups that have not committed the swap lose the service removals' })
  @IsBoolean()
  @Equals(true)
  force!: boolean;
}

/** IT admins rotate the org's MLS external-sender key; delivery services fetch the swap proposals for their groups. */
@ApiTags('mls')
@Controller('v1')
export class ExternalSenderRotationController {
  constructor(private readonly rotations: ExternalSenderRotationService) {}

  @Post('admin/orgs/:org/mls/external-sender/rotate')
  @HttpCode(200)
  @AdminRoute('keys:manage')
  rotate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org) {
    return this.rotations.rotate(p.actor, org.id);
  }

  @Get('admin/orgs/:org/mls/external-sender/rotation')
  @AdminRoute('keys:manage')
  status(@OrgParam() org: Org) {
    return this.rotations.status(org.id);
  }

  /** Retires the old sender before every group moved (its key was compromised, or a group is gone); lists the groups left behind. */
  @Post('admin/orgs/:org/mls/external-sender/retire')
  @HttpCode(200)
  @AdminRoute('keys:manage')
  forceRetire(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() _body: ForceRetireDto) {
    return this.rotations.forceRetire(p.actor, org.id);
  }

  /** The DS's swap proposals (GroupContextExtensions, external sender) for the groups it owns, after a cursor. */
  @Get('ds/external-sender-swaps')
  @Authenticated('ds')
  swaps(@CurrentPrincipal() p: Ds, @Query() q: FeedQueryDto) {
    return this.rotations.feed(p.orgId, p.clientId, q.after ?? '0', q.limit ?? 500);
  }
}
