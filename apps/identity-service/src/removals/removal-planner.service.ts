import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { GroupContext } from 'ts-mls';
import { signExternalRemove } from '#mls';
import { DEVICES_REVOKED_TOPIC, DevicesService, type DevicesRevokedPayload } from '../devices/index.js';
import { OutboxService, OutboxWorker } from '../outbox/index.js';
import type { MlsExternalSender } from './external-sender.entity.js';
import { ExternalSenderService } from './external-sender.service.js';
import { groupContexts } from './group.repository.js';
import { GroupStateCache } from './group-state-cache.js';
import {
  insertRemovals,
  linkSuccessor,
  markCommitted,
  markSuperseded,
  openRemovalsOfGroup,
  unplannedLeavesOfDevices,
  type NewRemoval,
  type StoredRemoval,
} from './removal.repository.js';
import { removalLogEvents, type LoggedRemoval } from './removal-log.js';
import { RemovalWebhooksService } from './removal-webhooks.service.js';

/** PostgreSQL channel: new proposals in an org's feed (payload: org id). Wakes long polls on every replica. */
export const REMOVAL_FEED_CHANNEL = 'mls_removals';
/** Proposals per INSERT. */
const SIGN_CHUNK = 500;

interface Target {
  groupRef: string;
  groupContext: GroupContext;
  leafIndex: number;
  deviceId: string;
  reason: string;
  /** Kept from the first proposal for this member when re-signing (the SLA clock). */
  plannedAt?: Date;
}

export type PlannedRemoval = StoredRemoval;

/**
 * Turns "these devices lost their credentials" into one signed external Remove per
 * (group, leaf) they occupy, for the group's current epoch (invariant 2 in docs/architecture.md), and keeps
 * each removal pending until a GroupInfo report shows the leaf gone: when a report shows the
 * epoch advanced with the member still there, the proposal is signed again for the new epoch
 * (external proposals are epoch-bound, RFC 9420 §6).
 */
@Injectable()
export class RemovalPlanner implements OnModuleInit {
  private readonly log = new Logger(RemovalPlanner.name);
  readonly groupStates = new GroupStateCache();

  constructor(
    private readonly worker: OutboxWorker,
    private readonly senders: ExternalSenderService,
    private readonly webhooks: RemovalWebhooksService,
    private readonly devices: DevicesService,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    // Runs in the claiming transaction: the removals and the delivered mark commit together.
    this.worker.register(DEVICES_REVOKED_TOPIC, async (message, m) => {
      const payload = message.payload as DevicesRevokedPayload;
      if (!message.orgId || !Array.isArray(payload.deviceIds)) throw new Error('removal.plan message without org or devices');
      await this.planForDevices(m, message.orgId, payload.deviceIds, String(payload.reason ?? 'unspecified'));
    });
  }

  /** Every group leaf these devices occupy that has no live proposal yet gets one. */
  async planForDevices(m: EntityManager, orgId: string, deviceIds: string[], reason: string): Promise<PlannedRemoval[]> {
    if (deviceIds.length === 0) return [];
    const leaves = await unplannedLeavesOfDevices(m, orgId, deviceIds);
    const contexts = await this.groupContexts(m, leaves);
    const targets = leaves.map((l) => ({
      groupRef: l.groupRef,
      groupContext: contexts.get(l.groupRef)!,
      leafIndex: l.leafIndex,
      deviceId: l.deviceId,
      reason,
    }));
    return this.sign(m, orgId, targets);
  }

  /** GroupContexts of the groups, from the compact stored context (each read once, and only when not cached). */
  private async groupContexts(m: EntityManager, leaves: { groupRef: string; epoch: string }[]): Promise<Map<string, GroupContext>> {
    const out = new Map<string, GroupContext>();
    const missing = new Set<string>();
    for (const l of leaves) {
      const cached = this.groupStates.context(l.groupRef, l.epoch);
      if (cached) out.set(l.groupRef, cached);
      else missing.add(l.groupRef);
    }
    if (missing.size > 0) {
      for (const g of await groupContexts(m, [...missing])) out.set(g.ref, this.groupStates.context(g.ref, g.epoch, g.groupContext)!);
    }
    return out;
  }

  /**
   * After a verified report: open removals whose member left are committed; those whose
   * member is still there at a newer epoch are re-signed; devices already revoked that (still
   * or newly) occupy a leaf get a proposal. Returns what changed.
   */
  async reconcile(
    m: EntityManager,
    orgId: string,
    group: { ref: string; groupContext: GroupContext; listed: boolean; members: Map<number, string | null> },
  ): Promise<{ committed: number; resigned: number; planned: number }> {
    const epoch = group.groupContext.epoch.toString();
    const open = await openRemovalsOfGroup(m, group.ref, { forUpdate: true });
    const gone = open.filter((r) => group.members.get(r.leafIndex) !== r.deviceId);
    const stale = open.filter((r) => group.members.get(r.leafIndex) === r.deviceId && r.epoch !== epoch);
    if (gone.length > 0) {
      await markCommitted(
        m,
        gone.map((r) => r.id),
      );
      // the first report without the member: its epoch and this moment close the removal in the log
      const closed = gone.map((r) => ({ ...r, groupId: group.groupContext.groupId, epoch }));
      await this.outbox.enqueue(m, ...removalLogEvents('removal_committed', orgId, closed, new Date()));
    }
    let resigned: PlannedRemoval[] = [];
    if (stale.length > 0) {
      await markSuperseded(
        m,
        stale.map((r) => r.id),
      );
      if (group.listed) {
        resigned = await this.sign(
          m,
          orgId,
          stale.map((r) => ({
            groupRef: group.ref,
            groupContext: group.groupContext,
            leafIndex: r.leafIndex,
            deviceId: r.deviceId,
            reason: r.reason,
            plannedAt: r.plannedAt,
          })),
        );
        const byLeaf = new Map(resigned.map((p) => [`${p.leafIndex}:${p.deviceId}`, p.id]));
        for (const r of stale) {
          const next = byLeaf.get(`${r.leafIndex}:${r.deviceId}`);
          if (next) await linkSuccessor(m, r.id, next);
        }
      }
    }
    // A device revoked earlier that shows up in the tree (added after its revocation, or a
    // group first reported now) is caught here.
    const deviceIds = [...new Set([...group.members.values()].filter((d): d is string => d !== null))];
    let planned: PlannedRemoval[] = [];
    if (group.listed && deviceIds.length > 0) {
      const revoked = await this.devices.revokedAmong(orgId, deviceIds, m);
      const stillOpen = new Set(open.filter((r) => !gone.includes(r)).map((r) => `${r.leafIndex}:${r.deviceId}`));
      const reasons = new Map(revoked.map((d) => [d.id, d.revocationReason ?? 'unspecified']));
      const targets: Target[] = [];
      for (const [leafIndex, deviceId] of group.members) {
        if (deviceId && reasons.has(deviceId) && !stillOpen.has(`${leafIndex}:${deviceId}`)) {
          targets.push({ groupRef: group.ref, groupContext: group.groupContext, leafIndex, deviceId, reason: reasons.get(deviceId)! });
        }
      }
      planned = await this.sign(m, orgId, targets);
    }
    return { committed: gone.length, resigned: resigned.length, planned: planned.length };
  }

  /** Signs in custody, stores, wakes the feed and queues webhooks, all in `m`'s transaction. */
  private async sign(m: EntityManager, orgId: string, targets: Target[]): Promise<PlannedRemoval[]> {
    if (targets.length === 0) return [];
    const now = new Date();
    const senders = new Map<GroupContext, MlsExternalSender | undefined>();
    const inserted: StoredRemoval[] = [];
    let logged: LoggedRemoval[] = [];
    let chunk: NewRemoval[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const c = chunk;
      const l = logged;
      chunk = [];
      logged = [];
      inserted.push(...(await insertRemovals(m, orgId, c)));
      // each proposal issued is in the key-transparency log (one entry per signature)
      await this.outbox.enqueue(m, ...removalLogEvents('removal_proposed', orgId, l, now));
    };
    for (const target of targets) {
      if (!senders.has(target.groupContext)) senders.set(target.groupContext, await this.senders.listedIn(orgId, target.groupContext));
      const sender = senders.get(target.groupContext);
      if (!sender) {
        this.log.warn(`group ${target.groupRef} does not list our external sender; removal of leaf ${target.leafIndex} cannot be signed`);
        continue;
      }
      const { message, proposalRef } = await signExternalRemove({
        groupContext: target.groupContext,
        removedLeafIndex: target.leafIndex,
        signaturePublicKey: sender.signatureKey,
        sign: this.senders.signer(sender),
      });
      const removal: NewRemoval = {
        groupRef: target.groupRef,
        epoch: target.groupContext.epoch.toString(),
        leafIndex: target.leafIndex,
        deviceId: target.deviceId,
        reason: target.reason,
        proposal: Buffer.from(message),
        proposalRef: Buffer.from(proposalRef),
        plannedAt: target.plannedAt ?? now,
      };
      chunk.push(removal);
      logged.push({ ...removal, groupId: target.groupContext.groupId });
      if (chunk.length >= SIGN_CHUNK) await flush();
    }
    await flush();
    if (inserted.length > 0) {
      await m.query(`SELECT pg_notify($1, $2)`, [REMOVAL_FEED_CHANNEL, orgId]);
      await this.webhooks.enqueueRemovals(
        m,
        orgId,
        inserted.map((r) => r.id),
      );
    }
    return inserted;
  }
}
