import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AccountDirectory, AccountErrors } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import type { Principal } from '../common/access/index.js';
import { grantRoomAdmin, isRoomAdmin, revokeRoomAdmin } from './group.repository.js';
import { GroupRegistryService } from './group-registry.service.js';
import { RemovalErrors } from './removals.errors.js';

/**
 * The room-admin policy's data: who may remove other members and change a group's
 * extensions. Changed by an org admin, or by a room admin proving it with a request signed
 * by one of their devices (Authorization: MLS-Device).
 */
@Injectable()
export class RoomAdminsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly groups: GroupRegistryService,
    private readonly audit: AuditService,
    private readonly accounts: AccountDirectory,
  ) {}

  private async authorize(principal: Principal, groupRef: string): Promise<void> {
    if (principal.kind === 'admin') return;
    if (principal.kind !== 'device') throw RemovalErrors.error('not_room_admin', 'only org admins and room admins change room admins');
    if (!(await isRoomAdmin(this.dataSource, groupRef, principal.accountId)))
      throw RemovalErrors.error('not_room_admin', "the signing device's account is not a room admin of this group");
  }

  async set(principal: Principal, orgId: string, groupId: Buffer, accountId: string, admin: boolean): Promise<string[]> {
    const { row } = await this.groups.require(orgId, groupId);
    await this.authorize(principal, row.id);
    await this.dataSource.transaction(async (m) => {
      if (!(await this.accounts.existing(m, orgId, [accountId])).has(accountId))
        throw AccountErrors.error('unknown_account', `no account ${accountId} in this org`);
      const changed = admin ? await grantRoomAdmin(m, row.id, accountId, principal.actor) : await revokeRoomAdmin(m, row.id, accountId);
      if (changed) {
        await this.audit.record(m, {
          orgId,
          actor: principal.actor,
          action: admin ? 'mls_room_admin.grant' : 'mls_room_admin.revoke',
          target: `account:${accountId}`,
          details: { groupId: groupId.toString('base64url') },
        });
      }
    });
    return this.groups.roomAdmins(row.id);
  }
}
