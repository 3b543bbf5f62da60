import { Injectable } from '@nestjs/common';
import { membersOf } from '#mls';
import { GroupRegistryService, MembershipPolicyService } from '../removals/index.js';
import { view } from './validation.service.js';
import { MemberJudgeService } from './member-judge.service.js';

/** Who in a group should not be there: revoked, expired, unknown or untrusted credentials, inactive accounts. */
@Injectable()
export class GroupAuditService {
  constructor(
    private readonly groups: GroupRegistryService,
    private readonly judge: MemberJudgeService,
    private readonly membership: MembershipPolicyService,
  ) {}

  async audit(orgId: string, dsClientId: string, groupId: Buffer) {
    const { row, state } = await this.groups.require(orgId, groupId, dsClientId);
    const members = membersOf(state.ratchetTree);
    const verdicts = await this.judge.judge(orgId, members);
    const pendingRemovals = await this.groups.openRemovalCount(row.id);
    return {
      groupId: groupId.toString('base64url'),
      epoch: String(row.epoch),
      externalSenderListed: row.externalSenderListed,
      reportedAt: row.updatedAt.toISOString(),
      members: members.length,
      roomAdmins: await this.groups.roomAdmins(row.id),
      membershipPolicy: (await this.membership.effective(orgId, row.id)).membershipPolicy,
      pendingRemovals,
      /** Set when a report could not show it descends from the registered state (RFC 9420 §8.2): the registry kept its state. */
      continuityFlag: row.continuityFlag
        ? {
            reason: row.continuityFlag,
            epoch: String(row.continuityFlaggedEpoch),
            at: row.continuityFlaggedAt!.toISOString(),
            rebaseAuthorized: row.rebaseAuthorizedBy !== null,
          }
        : null,
      findings: verdicts.flatMap((v, i) => (v.valid ? [] : [{ leafIndex: members[i]!.leafIndex, ...view(v) }])),
    };
  }
}
