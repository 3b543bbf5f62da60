import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { membersOf } from '#mls';
import { GroupRegistryService } from '../removals/group-registry.service.js';
import { view } from './validation.service.js';
import { MemberJudgeService } from './member-judge.service.js';

/** Who in a group should not be there: revoked, expired, unknown or untrusted credentials, inactive accounts. */
@Injectable()
export class GroupAuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groups: GroupRegistryService,
    private readonly judge: MemberJudgeService,
  ) {}

  async audit(orgId: string, groupId: Buffer) {
    const { row, state } = await this.groups.require(orgId, groupId);
    const members = membersOf(state.ratchetTree);
    const verdicts = await this.judge.judge(orgId, members);
    const [pending] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM removal WHERE group_ref = $1 AND status IN ('pending', 'delivered')`,
      [row.id],
    );
    return {
      groupId: groupId.toString('base64url'),
      epoch: String(row.epoch),
      externalSenderListed: row.externalSenderListed,
      reportedAt: row.updatedAt.toISOString(),
      members: members.length,
      roomAdmins: await this.groups.roomAdmins(row.id),
      pendingRemovals: pending.n,
      findings: verdicts.flatMap((v, i) => (v.valid ? [] : [{ leafIndex: members[i]!.leafIndex, ...view(v) }])),
    };
  }
}
