import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MEMBERSHIP_POLICIES, type MembershipPolicy } from '../../orgs/index.js';

/** A GroupInfo with its ratchet tree for a 1,000-member group stays well below this. */
export const MAX_GROUP_INFO_BYTES = 1024 * 1024;

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
