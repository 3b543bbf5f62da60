import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import type { Principal } from '../common/access/index.js';
import { OrgsService, type MembershipPolicy } from '../orgs/index.js';
import { groupMembershipPolicy, setGroupMembershipPolicy } from './group-policy.repository.js';
import { isRoomAdmin } from './group.repository.js';
import { GroupRegistryService } from './group-registry.service.js';
import { RemovalErrors } from './removals.errors.js';

export type { MembershipPolicy };

/** The policy in force for a group and where it comes from. */
export interface MembershipPolicyView {
  membershipPolicy: MembershipPolicy;
  /** `group`: set on this group by a room admin or org admin; `org`: the org default. */
  source: 'group' | 'org';
  orgDefault: MembershipPolicy;
}

/**
 * A group's membership policy (issue 12 §4): the org default (settings.groups), overridable
 * per group by an org admin, or by a room admin proving it with a request signed by one of
 * their devices, exactly like the room admins themselves.
 */
@Injectable()
export class MembershipPolicyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groups: GroupRegistryService,
    private readonly orgs: OrgsService,
    private readonly audit: AuditService,
  ) {}

  /** The policy commit authorization applies to this registered group. */
  async effective(orgId: string, groupRef: string): Promise<MembershipPolicyView> {
    const [own, settings] = await Promise.all([groupMembershipPolicy(this.dataSource, groupRef), this.orgs.settings(orgId)]);
    const orgDefault = settings.groups.membershipPolicy;
    return { membershipPolicy: own ?? orgDefault, source: own ? 'group' : 'org', orgDefault };
  }

  async get(orgId: string, groupId: Buffer): Promise<MembershipPolicyView> {
    const { row } = await this.groups.require(orgId, groupId);
    return this.effective(orgId, row.id);
  }

  /** Sets the group's own policy, or with null returns it to the org default. */
  async set(principal: Principal, orgId: string, groupId: Buffer, policy: MembershipPolicy | null): Promise<MembershipPolicyView> {
    const { row } = await this.groups.require(orgId, groupId);
    if (principal.kind !== 'admin') {
      if (principal.kind !== 'device') throw RemovalErrors.error('not_room_admin', 'only org admins and room admins change the membership policy');
      if (!(await isRoomAdmin(this.dataSource, row.id, principal.accountId)))
        throw RemovalErrors.error('not_room_admin', "the signing device's account is not a room admin of this group");
    }
    await this.dataSource.transaction(async (m) => {
      const before = await setGroupMembershipPolicy(m, row.id, policy, principal.actor);
      if (before !== policy) {
        await this.audit.record(m, {
          orgId,
          actor: principal.actor,
          action: 'mls_group.membership_policy',
          target: `mls_group:${groupId.toString('base64url')}`,
          details: { from: before, to: policy },
        });
      }
    });
    return this.effective(orgId, row.id);
  }
}
