import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { encodeGroupContextBytes, membersOf, verifyGroupInfo, type VerifiedGroupInfo } from '#mls';
import { deviceIdentityUri, serviceIdentityUri } from '#x509-profile';
import { CertificateStatusService } from '../certificates/certificate-status.service.js';
import { ciphersuiteCode, ExternalSenderService } from './external-sender.service.js';
import type { GroupState } from './group-state-cache.js';
import { judgeCredentials, type JudgedCredential } from './leaf-credentials.js';
import { MlsGroup } from './mls-group.entity.js';
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

    const result = await this.dataSource.transaction(async (m) => {
      // Serializes reports of one group (including its first, which inserts the row).
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mls_group:${orgId}:${groupId.toString('hex')}`]);
      const existing = await m
        .getRepository(MlsGroup)
        .createQueryBuilder('g')
        .setLock('pessimistic_write')
        .where('g.org_id = :orgId AND g.group_id = :groupId', { orgId, groupId })
        .getOne();
      if (existing && BigInt(existing.epoch) > groupContext.epoch) {
        throw RemovalErrors.error('stale_epoch', `the registry already has epoch ${existing.epoch}`);
      }
      const values = {
        orgId,
        groupId,
        ciphersuite: ciphersuiteCode(groupContext.cipherSuite),
        epoch,
        groupInfo: Buffer.from(groupInfoBytes),
        groupContext: Buffer.from(encodeGroupContextBytes(groupContext)),
        externalSenderListed: listed,
        updatedAt: new Date(),
      };
      let ref: string;
      if (existing) {
        ref = existing.id;
        await m.update(MlsGroup, { id: ref }, values);
        await m.query(`DELETE FROM mls_group_member WHERE group_ref = $1`, [ref]);
      } else {
        ref = (await m.save(m.create(MlsGroup, values))).id;
      }
      await m.query(
        `INSERT INTO mls_group_member (group_ref, leaf_index, fingerprint, device_id, account_id, identity)
         SELECT $1, * FROM unnest($2::int[], $3::bytea[], $4::uuid[], $5::uuid[], $6::text[])`,
        [
          ref,
          leaves.map((l) => l.leafIndex),
          judged.map((j) => (j.fingerprint ? Buffer.from(j.fingerprint, 'hex') : null)),
          leaves.map((l) => members.get(l.leafIndex)),
          judged.map((j, i) => (members.get(leaves[i]!.leafIndex) && j.identity?.kind === 'device' ? j.identity.accountId : null)),
          judged.map((j) => identityText(j)),
        ],
      );
      if (!existing) await this.grantCreator(m, ref, orgId);
      const removals = await this.planner.reconcile(m, orgId, { ref, groupContext, listed, members });
      return {
        ref,
        view: { groupId: groupId.toString('base64url'), epoch, members: leaves.length, externalSenderListed: listed, created: !existing, removals },
      };
    });
    this.planner.groupStates.put(result.ref, epoch, { groupContext, ratchetTree });
    return result.view;
  }

  /** RFC 9420 §11: the creator sits at leaf 0, so leaf 0's account at first report is the first room admin. */
  private async grantCreator(m: EntityManager, ref: string, orgId: string): Promise<void> {
    await m.query(
      `INSERT INTO mls_room_admin (group_ref, account_id, granted_by)
       SELECT gm.group_ref, gm.account_id, 'group-creator' FROM mls_group_member gm
        JOIN account a ON a.id = gm.account_id AND a.org_id = $2
        WHERE gm.group_ref = $1 AND gm.leaf_index = 0 AND gm.account_id IS NOT NULL
       ON CONFLICT DO NOTHING`,
      [ref, orgId],
    );
  }

  /**
   * The group as registered in this org (404 otherwise: other orgs' groups do not exist here).
   * The stored GroupInfo (large for big groups) is read only when its epoch is not decoded yet.
   */
  async require(orgId: string, groupId: Buffer): Promise<RegisteredGroup> {
    const row = await this.dataSource.getRepository(MlsGroup).findOne({
      where: { orgId, groupId },
      select: { id: true, orgId: true, groupId: true, ciphersuite: true, epoch: true, externalSenderListed: true, createdAt: true, updatedAt: true },
    });
    if (!row) throw RemovalErrors.error('unknown_group', 'no such group is registered for this org');
    let state = this.planner.groupStates.peek(row.id, row.epoch);
    if (!state) {
      // a report may have landed in between: take the GroupInfo and epoch that are there now
      const [latest] = await this.dataSource.query(`SELECT epoch, group_info FROM mls_group WHERE id = $1`, [row.id]);
      row.epoch = String(latest.epoch);
      state = this.planner.groupStates.get(row.id, row.epoch, latest.group_info);
    }
    return { row, state };
  }

  async roomAdmins(groupRef: string): Promise<string[]> {
    const rows: { account_id: string }[] = await this.dataSource.query(
      `SELECT account_id FROM mls_room_admin WHERE group_ref = $1 ORDER BY created_at`,
      [groupRef],
    );
    return rows.map((r) => r.account_id);
  }
}

function identityText(j: JudgedCredential): string {
  const id = j.identity;
  if (!id) return `none:${j.status}`;
  return id.kind === 'device' ? deviceIdentityUri(id.org, id.accountId, id.deviceId) : serviceIdentityUri(id.org, id.service);
}
