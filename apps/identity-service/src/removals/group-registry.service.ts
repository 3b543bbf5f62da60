import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { GroupContext, MLSMessage } from 'ts-mls';
import type { DataSource, EntityManager } from 'typeorm';
import {
  confirmedTranscriptHashAfter,
  encodeGroupContextBytes,
  epochContextBytes,
  membersOf,
  MlsGlueError,
  MlsLeafCredentialRejectedError,
  nextPublicEpoch,
  proposalsOfCommit,
  verifyGroupInfo,
  type VerifiedGroupInfo,
  VerifiedSignatures,
} from '#mls';
import { deviceIdentityUri, serviceIdentityUri } from '#x509-profile';
import { AccountDirectory, isActiveAccount } from '../accounts/index.js';
import { AuditService } from '../audit/index.js';
import { CertificateStatusService } from '../certificates/index.js';
import { DeviceLifecycleService, DevicesService, isActiveDevice } from '../devices/index.js';
import { Metrics } from '../metrics/index.js';
import { CredentialsService, removalSlas } from '../orgs/index.js';
import { ciphersuiteCode, ExternalSenderService } from './external-sender.service.js';
import type { GroupState } from './group-state-cache.js';
import { judgeCredentials, leafKeyBound, type JudgedCredential } from './leaf-credentials.js';
import {
  authorizeRebase,
  clearFlag,
  currentGroupInfo,
  findGroup,
  flagGroup,
  flaggedCounts,
  flaggedGroups,
  pruneTransitions,
  recordSeenCommit,
  seenCommitsLeadingTo,
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
import { ExternalSenderRotationService } from './external-sender-rotation.service.js';
import { openSwapsOfGroup, type OpenSwapRow } from './sender-swap.repository.js';
import { RemovalErrors, type RemovalErrorCode } from './removals.errors.js';

export interface GroupReportResult {
  groupId: string;
  epoch: string;
  members: number;
  externalSenderListed: boolean;
  /** True when this report registered the group (its leaf-0 member's account became room admin). */
  created: boolean;
  /** How the report was trusted: a first registration, the stored epoch again, the successor through a commit the service saw, or an admin-authorized re-base. */
  continuity: 'registered' | 'same_epoch' | 'seen_commit' | 'rebased';
  removals: { committed: number; resigned: number; planned: number };
}

export interface RegisteredGroup {
  row: MlsGroup;
  state: GroupState;
}

/** Reasons a report is refused inside the transaction (flagging the group where it says so). */
type Refusal = { refused: RemovalErrorCode; message: string; flag?: boolean; details?: Record<string, unknown> };
type Trust = GroupReportResult['continuity'];

/**
 * The public state of each group as its delivery service reports it after every accepted
 * commit: a GroupInfo with the ratchet tree, verified, its leaves mapped to our devices, and
 * the removal planner told what changed, in one transaction.
 *
 * What the service signs Removes from must be the REAL group (an external sender's signature
 * covers group id, epoch and leaf index only, RFC 9420 §6.1), so a report is trusted only as:
 * - a first registration, signed (§12.4.3) by a valid, key-bound, active device of the org;
 * - the stored epoch again, with the identical GroupContext (same tree hash, §7.8);
 * - the next epoch, whose GroupContext and confirmation tag are exactly those a commit the
 *   service saw at authorization gives the stored state (§8.2, §12.4.2);
 * - a re-base an org admin authorized, checked like a first registration.
 * Anything else is a 409 and flags the group; the stored state is never silently replaced.
 */
@Injectable()
export class GroupRegistryService {
  private readonly refusals: Counter;
  /** Leaf (and GroupInfo) signatures that verified, by their exact bytes: the next epoch's report re-verifies only changed leaves. */
  private readonly verifiedSignatures = new VerifiedSignatures();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly status: CertificateStatusService,
    private readonly senders: ExternalSenderService,
    private readonly planner: RemovalPlanner,
    private readonly accounts: AccountDirectory,
    private readonly devices: DevicesService,
    private readonly credentials: CredentialsService,
    private readonly audit: AuditService,
    private readonly lifecycle: DeviceLifecycleService,
    private readonly rotations: ExternalSenderRotationService,
    metrics: Metrics,
  ) {
    this.refusals = new Counter({
      name: 'mls_group_reports_refused_total',
      help: 'Group reports refused because the service cannot trust them (reason: leaf_key_mismatch, signer_untrusted, epoch_fork, continuity_unproven, group_owned_by_other_client)',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    const db = this.dataSource;
    new Gauge({
      name: 'mls_groups_continuity_flagged',
      help: 'MLS groups whose delivery service reported a state that does not descend from the stored one (until an org admin re-bases them)',
      labelNames: ['org'],
      registers: [metrics.registry],
      async collect() {
        const [orgs, counts] = await Promise.all([removalSlas(db), flaggedCounts(db)]);
        this.reset();
        for (const o of orgs) this.set({ org: o.slug }, counts.get(o.orgId) ?? 0);
      },
    });
  }

  async report(orgId: string, dsClientId: string, groupId: Buffer, groupInfoBytes: Uint8Array): Promise<GroupReportResult> {
    try {
      return await this.accept(orgId, dsClientId, groupId, groupInfoBytes);
    } catch (e) {
      if (RemovalErrors.is(e)) this.refusals.inc({ reason: e.code });
      throw e;
    }
  }

  private async accept(orgId: string, dsClientId: string, groupId: Buffer, groupInfoBytes: Uint8Array): Promise<GroupReportResult> {
    let verified: VerifiedGroupInfo;
    try {
      verified = await verifyGroupInfo(groupInfoBytes, leafKeyBound, this.verifiedSignatures);
    } catch (e) {
      if (e instanceof MlsLeafCredentialRejectedError) {
        throw RemovalErrors.error('leaf_key_mismatch', `the signature key of leaf ${e.leafIndexes.join(', ')} is not its certificate's key`, {
          leafIndexes: e.leafIndexes,
        });
      }
      throw e;
    }
    const { groupContext, ratchetTree } = verified;
    if (!groupId.equals(Buffer.from(groupContext.groupId))) {
      throw RemovalErrors.error('group_id_mismatch', 'the GroupInfo is for another group id than the path names');
    }
    const leaves = membersOf(ratchetTree);
    // keyBound is judged again from the certificates (verifyGroupInfo's policy already refused unbound trees)
    const judged = await judgeCredentials(this.status, orgId, leaves);
    const listed = (await this.senders.listedIn(orgId, groupContext)) !== undefined;
    const members = new Map<number, string | null>();
    leaves.forEach((leaf, i) => {
      const id = judged[i]!.identity;
      const onRecord = ['valid', 'revoked', 'expired'].includes(judged[i]!.status);
      members.set(leaf.leafIndex, onRecord && id?.kind === 'device' ? id.deviceId : null);
    });
    const epoch = groupContext.epoch.toString();
    const contextBytes = Buffer.from(encodeGroupContextBytes(groupContext));
    const signer = judged[leaves.findIndex((l) => l.leafIndex === verified.signer.leafIndex)]!;

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

    // the next state as derived from the stored one through a seen commit (same tree hash as the
    // reported tree): kept instead of the decoded tree, it shares the unchanged leaves' objects
    // with the stored state, so the next epoch's tree hash recomputes only changed leaves
    const derived: { state?: GroupState } = {};
    const result = await this.dataSource.transaction(async (m) => {
      await lockGroupReports(m, orgId, groupId);
      const existing = await findGroupForUpdate(m, orgId, groupId);
      let trust: Trust | Refusal;
      if (!existing) {
        trust = (await this.signerTrusted(m, orgId, signer)) ? 'registered' : signerRefusal();
      } else if (await this.ownedByAnother(m, existing, dsClientId)) {
        trust = { refused: 'group_owned_by_other_client', message: 'another delivery-service client of the org registered this group' };
      } else {
        trust = await this.continuity(
          m,
          orgId,
          existing,
          { groupContext, contextBytes, confirmationTag: verified.groupInfo.confirmationTag, signer },
          derived,
        );
      }
      if (typeof trust !== 'string') {
        if (trust.flag && existing) {
          await flagGroup(m, existing.id, trust.refused, epoch);
          await this.audit.record(m, {
            orgId,
            actor: `ds-client:${dsClientId}`,
            action: 'mls_group.continuity_flagged',
            target: `mls_group:${existing.id}`,
            details: { groupId: groupId.toString('base64url'), reason: trust.refused, registeredEpoch: existing.epoch, reportedEpoch: epoch },
          });
        }
        return trust;
      }
      const ref = await saveGroup(m, existing?.id, {
        orgId,
        groupId,
        ciphersuite: ciphersuiteCode(groupContext.cipherSuite),
        epoch,
        groupInfo: Buffer.from(groupInfoBytes),
        groupContext: contextBytes,
        externalSenderListed: listed,
        updatedAt: new Date(),
        dsClientId,
      });
      if (trust === 'rebased') await clearFlag(m, ref);
      await pruneTransitions(m, ref, epoch);
      await replaceMembers(m, ref, roster);
      if (!existing) await this.grantCreator(m, ref, orgId, roster);
      const removals = await this.planner.reconcile(m, orgId, { ref, groupContext, listed, members });
      const retire = await this.rotations.reconcileGroup(m, orgId, { ref, groupContext });
      await this.retireReplacedCertificates(m, orgId, roster);
      // Last in the transaction: the org's audit chain head stays locked only until the commit.
      if (!existing || String(existing.epoch) !== epoch.toString()) {
        await this.audit.record(m, {
          orgId,
          actor: `ds-client:${dsClientId}`,
          action: existing ? 'mls_group.advance' : 'mls_group.register',
          target: `mls_group:${ref}`,
          details: { groupId: groupId.toString('base64url'), continuity: trust, members: leaves.length, removals },
          before: existing ? { epoch: String(existing.epoch) } : null,
          after: { epoch: epoch.toString() },
        });
      }
      return {
        ref,
        retire,
        view: {
          groupId: groupId.toString('base64url'),
          epoch,
          members: leaves.length,
          externalSenderListed: listed,
          created: !existing,
          continuity: trust,
          removals,
        },
      };
    });
    // the flag (when there is one) is committed with the transaction that refused the report
    if ('refused' in result) throw RemovalErrors.error(result.refused, result.message, result.details);
    if (result.retire.length > 0) {
      this.senders.forget(orgId);
      await this.rotations.retireKeys(result.retire);
    }
    this.planner.groupStates.put(result.ref, epoch, {
      groupContext,
      ratchetTree: derived.state?.ratchetTree ?? ratchetTree,
      confirmationTag: verified.groupInfo.confirmationTag,
    });
    return result.view;
  }

  /**
   * Whether a report for an existing group descends from its stored state (see the class
   * comment); a refusal says whether to flag the group.
   */
  private async continuity(
    m: EntityManager,
    orgId: string,
    existing: MlsGroup,
    reported: { groupContext: GroupContext; contextBytes: Buffer; confirmationTag: Uint8Array; signer: JudgedCredential },
    derived: { state?: GroupState },
  ): Promise<Trust | Refusal> {
    const stored = BigInt(existing.epoch);
    const epoch = reported.groupContext.epoch;
    if (epoch < stored) return { refused: 'stale_epoch', message: `the registry already has epoch ${existing.epoch}` };
    if (epoch === stored + 1n) {
      derived.state = await this.descendsThroughSeenCommit(m, existing, reported);
      if (derived.state) return 'seen_commit';
    }
    // A re-base moves to a later epoch: an epoch, once registered, keeps its meaning (replicas
    // cache decoded states by group and epoch, and proposals already signed name it).
    if (existing.rebaseAuthorizedBy && epoch > stored) {
      return (await this.signerTrusted(m, orgId, reported.signer)) ? 'rebased' : signerRefusal();
    }
    if (epoch === stored) {
      if (existing.groupContext.equals(reported.contextBytes)) return 'same_epoch';
      return {
        refused: 'epoch_fork',
        message: `epoch ${existing.epoch} is registered with another GroupContext (tree or transcript): two histories of one group`,
        flag: true,
      };
    }
    return {
      refused: 'continuity_unproven',
      message: `epoch ${epoch} does not follow registered epoch ${existing.epoch} through a commit the service saw at authorization`,
      flag: true,
      details: { registeredEpoch: existing.epoch },
    };
  }

  /** RFC 9420 §12.4.3: whoever signs an unproven GroupInfo must be a valid, key-bound, active device of the org. */
  private async signerTrusted(m: EntityManager, orgId: string, signer: JudgedCredential): Promise<boolean> {
    if (signer.status !== 'valid' || signer.identity?.kind !== 'device' || !signer.keyBound) return false;
    const { deviceId, accountId } = signer.identity;
    const [device] = await this.devices.findByIds(orgId, [deviceId], m);
    if (!device || device.accountId !== accountId || !isActiveDevice(device)) return false;
    const [account] = await this.accounts.findByIds(orgId, [accountId], m);
    return account !== undefined && isActiveAccount(account);
  }

  /** The group is another live client's (a revoked owner's groups pass to the next client that shows continuity). */
  private async ownedByAnother(m: EntityManager, row: Pick<MlsGroup, 'dsClientId'>, dsClientId: string): Promise<boolean> {
    if (!row.dsClientId || row.dsClientId === dsClientId) return false;
    const owner = await this.credentials.findDsClient(row.dsClientId, m);
    return owner !== null && owner.revokedAt === null;
  }

  /**
   * A commit the DS asks about, signed by a member of the registered epoch: kept (with the
   * proposal messages it references) so that the report of the next epoch can show it descends
   * from ours through it. Only the cheap §8.2 transcript hash is computed here; the full check
   * (tree hash and GroupContext, nextPublicEpoch) runs when that report arrives.
   */
  async recordCommit(
    group: RegisteredGroup,
    commit: Uint8Array | MLSMessage,
    commitBytes: Uint8Array,
    referenced: readonly Uint8Array[],
    authorized: boolean,
  ): Promise<void> {
    let confirmedTranscriptHash: Uint8Array;
    try {
      confirmedTranscriptHash = await confirmedTranscriptHashAfter(group.state, commit);
    } catch (e) {
      if (e instanceof MlsGlueError) return;
      throw e;
    }
    await recordSeenCommit(this.dataSource, {
      groupRef: group.row.id,
      epoch: String(group.row.epoch),
      commitHash: createHash('sha256').update(commitBytes).digest(),
      confirmedTranscriptHash: Buffer.from(confirmedTranscriptHash),
      commit: Buffer.from(commitBytes),
      proposals: referenced.map((p) => Buffer.from(p)),
      authorized,
    });
  }

  /**
   * RFC 9420 §12.4.2 from outside: does one of the commits seen at the registered epoch lead
   * exactly to the reported GroupContext (tree hash, transcript, extensions) and confirmation tag?
   */
  private async descendsThroughSeenCommit(
    m: EntityManager,
    existing: MlsGroup,
    reported: { groupContext: GroupContext; contextBytes: Buffer; confirmationTag: Uint8Array },
  ): Promise<GroupState | undefined> {
    const candidates = await seenCommitsLeadingTo(m, existing.id, existing.epoch, reported.groupContext.confirmedTranscriptHash);
    if (candidates.length === 0) return undefined;
    const stored = this.planner.groupStates.get(existing.id, existing.epoch, existing.groupInfo);
    for (const c of candidates) {
      try {
        const inspected = await proposalsOfCommit(c.commit, stored.groupContext.cipherSuite, c.proposals);
        const next = await nextPublicEpoch(stored, c.commit, inspected.proposals);
        if (reported.contextBytes.equals(epochContextBytes(next)) && Buffer.from(next.confirmationTag).equals(reported.confirmationTag)) return next;
      } catch {
        // a seen commit that cannot be applied from outside (ts-mls refuses its proposals or
        // UpdatePath) leads nowhere: the report is then simply not proven by it
      }
    }
    return undefined;
  }

  /** For org admins: the groups a report could not be trusted for, and whether a re-base is authorized. */
  async flagged(orgId: string, limit: number) {
    return (await flaggedGroups(this.dataSource, orgId, limit)).map((g) => ({
      groupId: g.group_id.toString('base64url'),
      registeredEpoch: String(g.epoch),
      reason: g.continuity_flag,
      reportedEpoch: String(g.continuity_flagged_epoch),
      flaggedAt: new Date(g.continuity_flagged_at).toISOString(),
      dsClientId: g.ds_client_id,
      rebaseAuthorizedBy: g.rebase_authorized_by,
    }));
  }

  /** An org admin accepts that the group's next report from its owner re-bases it (after a flag). */
  async authorizeRebase(orgId: string, groupId: Buffer, actor: string): Promise<{ groupId: string; epoch: string; rebaseAuthorizedBy: string }> {
    const { row } = await this.require(orgId, groupId);
    await this.dataSource.transaction(async (m) => {
      await authorizeRebase(m, row.id, actor);
      await this.audit.record(m, {
        orgId,
        actor,
        action: 'mls_group.rebase_authorized',
        target: `mls_group:${row.id}`,
        details: { groupId: groupId.toString('base64url'), epoch: String(row.epoch), continuityFlag: row.continuityFlag },
      });
    });
    return { groupId: groupId.toString('base64url'), epoch: String(row.epoch), rebaseAuthorizedBy: actor };
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
   * The group as registered in this org (404 otherwise: other orgs' groups do not exist here);
   * with `dsClientId`, only when that delivery-service client owns it (403 otherwise).
   * The stored GroupInfo (large for big groups) is read only when its epoch is not decoded yet.
   */
  async require(orgId: string, groupId: Buffer, dsClientId?: string): Promise<RegisteredGroup> {
    const row = await findGroup(this.dataSource.manager, orgId, groupId);
    if (!row) throw RemovalErrors.error('unknown_group', 'no such group is registered for this org');
    if (dsClientId !== undefined && (await this.ownedByAnother(this.dataSource.manager, row, dsClientId))) {
      throw RemovalErrors.error('group_owned_by_other_client', 'another delivery-service client of the org registered this group');
    }
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

  /** Account of each leaf as registered (null: not one of our devices); with `leaves`, of those only. */
  leafAccounts(groupRef: string, leaves?: readonly number[]): Promise<Map<number, string | null>> {
    return leafAccounts(this.dataSource, groupRef, leaves);
  }

  /** The service's removals in this group still waiting for a commit. */
  openRemovals(groupRef: string): Promise<OpenRemovalRow[]> {
    return openRemovalsOfGroup(this.dataSource, groupRef);
  }

  /** The service's external-sender swap proposals in this group still waiting for a commit. */
  openSwaps(groupRef: string): Promise<OpenSwapRow[]> {
    return openSwapsOfGroup(this.dataSource, groupRef);
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

function signerRefusal(): Refusal {
  return {
    refused: 'signer_untrusted',
    message: 'the GroupInfo signer is not a valid, key-bound, active device of this org, and nothing the service saw vouches for this state',
  };
}
