import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { encodeGroupContextBytes, membersOf, verifyGroupInfo, type VerifiedGroupInfo } from '#mls';
import { deviceIdentityUri, serviceIdentityUri } from '#x509-profile';
import { AccountDirectory } from '../accounts/index.js';
import { CertificateStatusService } from '../certificates/index.js';
import { DeviceLifecycleService } from '../devices/index.js';
import { ciphersuiteCode, ExternalSenderService } from './external-sender.service.js';
import type { GroupState } from './group-state-cache.js';
import { judgeCredentials, type JudgedCredential } from './leaf-credentials.js';
import {
  currentGroupInfo,
  findGroup,
  findGroupForUpdate,
  fingerprintsOfDevices,
  grantRoomAdmin,
  leafAccounts,
  lockGroupReports,
  replaceMembers,
  roomAdmins,
  saveGroup,
  type GroupMemberRow,
} from './group.repository.js';
import type { MlsGroup } from './mls-group.entity.js';
import { countOpenRemovals, openRemovalsOfGroup, type OpenRemovalRow } from './removal.repository.js';
import { RemovalPlanner } from './removal-planner.service.js';
import { RemovalErrors } from './removals.errors.js';

export interface GroupReportResult {
  groupId: string;
  epoch: string;
  members: number;
  externalSenderListed: boolean;
  /** True when this report registered the group (its leaf-0 member's account became room admin). */
  created: boolean;
  removals: { committed: number; resigned: number; planned: number };
}

export interface RegisteredGroup {
  row: MlsGroup;
  state: GroupState;
}

/**
 * The public state of each group as its delivery service reports it after every accepted
 * commit: a GroupInfo with the ratchet tree, verified, its leaves mapped to our devices, and
 * the removal planner told what changed, in one transaction.
 */
@Injectable()
export class GroupRegistryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly status: CertificateStatusService,
    private readonly senders: ExternalSenderService,
    private readonly planner: RemovalPlanner,
    private readonly accounts: AccountDirectory,
    private readonly lifecycle: DeviceLifecycleService,
  ) {}

  async report(orgId: string, groupId: Buffer, groupInfoBytes: Uint8Array): Promise<GroupReportResult> {
    const verified: VerifiedGroupInfo = await verifyGroupInfo(groupInfoBytes);
    const { groupContext, ratchetTree } = verified;
    if (!groupId.equals(Buffer.from(groupContext.groupId))) {
      throw RemovalErrors.error('group_id_mismatch', 'the GroupInfo is for another group id than the path names');
    }
    const leaves = membersOf(ratchetTree);
    const judged = await judgeCredentials(this.status, orgId, leaves, false);
    const listed = (await this.senders.listedIn(orgId, groupContext)) !== undefined;
    const members = new Map<number, string | null>();
    leaves.forEach((leaf, i) => {
      const id = judged[i]!.identity;
      const onRecord = ['valid', 'revoked', 'expired'].includes(judged[i]!.status);
      members.set(leaf.leafIndex, onRecord && id?.kind === 'device' ? id.deviceId : null);
    });
    const epoch = groupContext.epoch.toString();

    const roster: GroupMemberRow[] = leaves.map((l, i) => {
      const j = judged[i]!;
      const deviceId = members.get(l.leafIndex) ?? null;
      return {
        leafIndex: l.leafIndex,
        fingerprint: j.fingerprint ? Buffer.from(j.fingerprint, 'hex') : null,
        deviceId,
        accountId: deviceId && j.identity?.kind === 'device' ? j.identity.accountId : null,
        identity: identityText(j),
      };
    });

    const result = await this.dataSource.transaction(async (m) => {
      await lockGroupReports(m, orgId, groupId);
      const existing = await findGroupForUpdate(m, orgId, groupId);
      if (existing && BigInt(existing.epoch) > groupContext.epoch) {
        throw RemovalErrors.error('stale_epoch', `the registry already has epoch ${existing.epoch}`);
      }
      const ref = await saveGroup(m, existing?.id, {
        orgId,
        groupId,
        ciphersuite: ciphersuiteCode(groupContext.cipherSuite),
        epoch,
        groupInfo: Buffer.from(groupInfoBytes),
        groupContext: Buffer.from(encodeGroupContextBytes(groupContext)),
        externalSenderListed: listed,
        updatedAt: new Date(),
      });
      await replaceMembers(m, ref, roster);
      if (!existing) await this.grantCreator(m, ref, orgId, roster);
      const removals = await this.planner.reconcile(m, orgId, { ref, groupContext, listed, members });
      await this.retireReplacedCertificates(m, orgId, roster);
      return {
        ref,
        view: { groupId: groupId.toString('base64url'), epoch, members: leaves.length, externalSenderListed: listed, created: !existing, removals },
      };
    });
    this.planner.groupStates.put(result.ref, epoch, { groupContext, ratchetTree });
    return result.view;
  }

  /**
   * A device whose leaves now show a newer certificate no longer needs its superseded ones:
   * the lifecycle revokes those no leaf of it (in any group) shows any more.
   */
  private async retireReplacedCertificates(m: EntityManager, orgId: string, roster: readonly GroupMemberRow[]): Promise<void> {
    const deviceIds = [...new Set(roster.map((r) => r.deviceId).filter((d): d is string => d !== null))];
    if (deviceIds.length > 0) await this.lifecycle.leavesShow(m, orgId, await fingerprintsOfDevices(m, orgId, deviceIds));
  }

  /** RFC 9420 §11: the creator sits at leaf 0, so leaf 0's account at first report is the first room admin. */
  private async grantCreator(m: EntityManager, ref: string, orgId: string, roster: readonly GroupMemberRow[]): Promise<void> {
    const creator = roster.find((r) => r.leafIndex === 0)?.accountId;
    if (creator && (await this.accounts.existing(m, orgId, [creator])).has(creator)) await grantRoomAdmin(m, ref, creator, 'group-creator');
  }

  /**
   * The group as registered in this org (404 otherwise: other orgs' groups do not exist here).
   * The stored GroupInfo (large for big groups) is read only when its epoch is not decoded yet.
   */
  async require(orgId: string, groupId: Buffer): Promise<RegisteredGroup> {
    const row = await findGroup(this.dataSource.manager, orgId, groupId);
    if (!row) throw RemovalErrors.error('unknown_group', 'no such group is registered for this org');
    let state = this.planner.groupStates.peek(row.id, row.epoch);
    if (!state) {
      // a report may have landed in between: take the GroupInfo and epoch that are there now
      const latest = await currentGroupInfo(this.dataSource, row.id);
      row.epoch = latest.epoch;
      state = this.planner.groupStates.get(row.id, row.epoch, latest.groupInfo);
    }
    return { row, state };
  }

  roomAdmins(groupRef: string): Promise<string[]> {
    return roomAdmins(this.dataSource, groupRef);
  }

  /** Account of each leaf as registered (null: not one of our devices). */
  leafAccounts(groupRef: string): Promise<Map<number, string | null>> {
    return leafAccounts(this.dataSource, groupRef);
  }

  /** The service's removals in this group still waiting for a commit. */
  openRemovals(groupRef: string): Promise<OpenRemovalRow[]> {
    return openRemovalsOfGroup(this.dataSource, groupRef);
  }

  openRemovalCount(groupRef: string): Promise<number> {
    return countOpenRemovals(this.dataSource, groupRef);
  }
}

function identityText(j: JudgedCredential): string {
  const id = j.identity;
  if (!id) return `none:${j.status}`;
  return id.kind === 'device' ? deviceIdentityUri(id.org, id.accountId, id.deviceId) : serviceIdentityUri(id.org, id.service);
}
