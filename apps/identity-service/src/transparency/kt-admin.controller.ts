import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { AdminRoute, CurrentPrincipal, type Principal } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { DEFAULT_LOG_KEY_OVERLAP_SECONDS, KtLogs, MAX_LOG_KEY_OVERLAP_SECONDS } from './kt-logs.service.js';

export class RotateLogKeyDto {
  @ApiPropertyOptional({ description: 'seconds during which checkpoints carry both signatures (default 7 days, at most 90)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_LOG_KEY_OVERLAP_SECONDS)
  overlapSeconds?: number;
}

/** IT admins: rotating the org's key-transparency log key (docs/operations.md "Rotating the log key"). */
@ApiTags('admin')
@Controller('v1/admin/orgs/:org/transparency/key')
@AdminRoute('keys:manage')
export class KtAdminController {
  constructor(private readonly logs: KtLogs) {}

  @Post('rotate')
  @HttpCode(200)
  rotate(@CurrentPrincipal() p: Principal, @OrgParam() org: Org, @Body() body: RotateLogKeyDto) {
    return this.logs.rotateKey(p.actor, org.id, body.overlapSeconds ?? DEFAULT_LOG_KEY_OVERLAP_SECONDS);
  }

  /** Ends the overlap now: the new key signs alone, the old one is retired. */
  @Post('rotate/finish')
  @HttpCode(200)
  finish(@CurrentPrincipal() p: Principal, @OrgParam() org: Org) {
    return this.logs.finishKeyRotation(p.actor, org.id);
  }
}
