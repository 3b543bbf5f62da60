import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MEMBERSHIP_POLICIES, type MembershipPolicy } from '../../orgs/index.js';

/**
 * A GroupInfo with its ratchet tree: ≈ 1.4 KB per member with Ed25519 device certificates, so
 * 16 MiB carries a 10,000-member group with room to spare, and still bounds what one report
 * may make the service parse and hold.
 */
export const MAX_GROUP_INFO_BYTES = 16 * 1024 * 1024;

/** The JSON body of a group report (the base64 GroupInfo and a little JSON): parsed with this limit on that route only. */
export const GROUP_REPORT_BODY_LIMIT = Math.ceil(MAX_GROUP_INFO_BYTES / 3) * 4 + 4096;

/** PUT /v1/ds/groups/:groupId, the only route whose body may exceed the service-wide limit. */
export function isGroupReportRequest(req: { method?: string; url?: string }): boolean {
  return req.method === 'PUT' && /^\/v1\/ds\/groups\/[A-Za-z0-9_-]{1,344}(?:\?.*)?$/.test(req.url ?? '');
}

export class GroupReportDto {
  @ApiProperty({ description: 'MLSMessage (wire format mls_group_info) with the ratchet_tree extension, base64' })
  @IsString()
  @MaxLength(Math.ceil(MAX_GROUP_INFO_BYTES / 3) * 4)
  groupInfo: string;
}

export class FeedQueryDto {
  @ApiPropertyOptional({ description: 'cursor from the previous page (0 or absent: from the start)' })
  @IsOptional()
  @Matches(/^[0-9]{1,18}$/)
  after?: string;

  @ApiPropertyOptional({ description: 'long poll: seconds to wait for new proposals (0-60)', default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60)
  wait?: number;

  @ApiPropertyOptional({ default: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ListQueryDto {
  @ApiPropertyOptional({ default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class MembershipPolicyDto {
  @ApiProperty({
    description: "who may add members: 'members' (any member) or 'admins-only' (room admins); null returns the group to the org default",
    enum: MEMBERSHIP_POLICIES,
    nullable: true,
  })
  @IsIn([...MEMBERSHIP_POLICIES, null])
  membershipPolicy: MembershipPolicy | null;
}
