import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { GroupContext } from 'ts-mls';
import { signExternalRemove } from '#mls';
import { OutboxWorker } from '../outbox/outbox.worker.js';
import type { MlsExternalSender } from './external-sender.entity.js';
import { ExternalSenderService } from './external-sender.service.js';
import { GroupStateCache } from './group-state-cache.js';
import { DEVICES_REVOKED_TOPIC, type DevicesRevokedPayload } from '../devices/devices-revoked.topic.js';
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

export interface PlannedRemoval {
  id: string;
  groupRef: string;
  leafIndex: number;
  deviceId: string;
}

/**
 * Turns "these devices lost their credentials" into one signed external Remove per
 * (group, leaf) they occupy, for the group's current epoch (DESIGN invariant 2), and keeps
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
    const rows: { group_ref: string; epoch: string; leaf_index: number; device_id: string }[] = await m.query(
      `SELECT g.id AS group_ref, g.epoch, gm.leaf_index, gm.device_id
         FROM mls_group_member gm JOIN mls_group g ON g.id = gm.group_ref
        WHERE g.org_id = $1 AND gm.device_id = ANY($2::uuid[]) AND g.external_sender_listed
          AND NOT EXISTS (SELECT 1 FROM removal r WHERE r.group_ref = gm.group_ref AND r.leaf_index = gm.leaf_index
                             AND r.device_id = gm.device_id AND r.status IN ('pending', 'delivered'))`,
      [orgId, deviceIds],
    );
    const contexts = await this.groupContexts(m, rows);
    const targets = rows.map((r) => ({
      groupRef: r.group_ref,
      groupContext: contexts.get(r.group_ref)!,
      leafIndex: r.leaf_index,
      deviceId: r.device_id,
      reason,
    }));
    return this.sign(m, orgId, targets);
  }

  /** GroupContexts of the groups, from the compact stored context (each read once, and only when not cached). */
  private async groupContexts(m: EntityManager, rows: { group_ref: string; epoch: string }[]): Promise<Map<string, GroupContext>> {
    const out = new Map<string, GroupContext>();
    const missing = new Set<string>();
    for (const r of rows) {
      const cached = this.groupStates.context(r.group_ref, r.epoch);
      if (cached) out.set(r.group_ref, cached);
      else missing.add(r.group_ref);
    }
    if (missing.size > 0) {
      const contexts: { id: string; epoch: string; group_context: Buffer }[] = await m.query(
        `SELECT id, epoch, group_context FROM mls_group WHERE id = ANY($1::uuid[])`,
        [[...missing]],
      );
      for (const g of contexts) out.set(g.id, this.groupStates.context(g.id, g.epoch, g.group_context)!);
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
    const open: { id: string; epoch: string; leaf_index: number; device_id: string; reason: string; planned_at: Date }[] = await m.query(
      `SELECT id, epoch, leaf_index, device_id, reason, planned_at FROM removal
        WHERE group_ref = $1 AND status IN ('pending', 'delivered') FOR UPDATE`,
      [group.ref],
    );
    const gone = open.filter((r) => group.members.get(r.leaf_index) !== r.device_id);
    const stale = open.filter((r) => group.members.get(r.leaf_index) === r.device_id && r.epoch !== epoch);
    if (gone.length > 0) {
      await m.query(`UPDATE removal SET status = 'committed', committed_at = now() WHERE id = ANY($1::bigint[])`, [gone.map((r) => r.id)]);
    }
    let resigned: PlannedRemoval[] = [];
    if (stale.length > 0) {
      await m.query(`UPDATE removal SET status = 'superseded', superseded_at = now() WHERE id = ANY($1::bigint[])`, [stale.map((r) => r.id)]);
      if (group.listed) {
        resigned = await this.sign(
          m,
          orgId,
          stale.map((r) => ({
            groupRef: group.ref,
            groupContext: group.groupContext,
            leafIndex: r.leaf_index,
            deviceId: r.device_id,
            reason: r.reason,
            plannedAt: r.planned_at,
          })),
        );
        const byLeaf = new Map(resigned.map((p) => [`${p.leafIndex}:${p.deviceId}`, p.id]));
        for (const r of stale) {
          const next = byLeaf.get(`${r.leaf_index}:${r.device_id}`);
          if (next) await m.query(`UPDATE removal SET superseded_by = $2 WHERE id = $1`, [r.id, next]);
        }
      }
    }
    // A device revoked earlier that shows up in the tree (added after its revocation, or a
    // group first reported now) is caught here.
    const deviceIds = [...new Set([...group.members.values()].filter((d): d is string => d !== null))];
    let planned: PlannedRemoval[] = [];
    if (group.listed && deviceIds.length > 0) {
      const revoked: { id: string; revocation_reason: string | null }[] = await m.query(
        `SELECT id, revocation_reason FROM device WHERE org_id = $1 AND id = ANY($2::uuid[]) AND status = 'revoked'`,
        [orgId, deviceIds],
      );
      const stillOpen = new Set(
        open.filter((r) => !gone.includes(r)).map((r) => `${r.leaf_index}:${r.device_id}`),
      );
      const reasons = new Map(revoked.map((d) => [d.id, d.revocation_reason ?? 'unspecified']));
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
    const inserted: { id: string; group_ref: string; leaf_index: number; device_id: string }[] = [];
    let chunk: { target: Target; message: Uint8Array; ref: Uint8Array }[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const c = chunk;
      chunk = [];
      inserted.push(
        ...(await m.query(
          `INSERT INTO removal (org_id, group_ref, epoch, leaf_index, device_id, reason, proposal, proposal_ref, planned_at)
           SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::int[], $5::uuid[], $6::text[], $7::bytea[], $8::bytea[], $9::timestamptz[])
           ON CONFLICT (group_ref, leaf_index, device_id) WHERE status IN ('pending', 'delivered') DO NOTHING
           RETURNING id, group_ref, leaf_index, device_id`,
          [
            orgId,
            c.map((s) => s.target.groupRef),
            c.map((s) => s.target.groupContext.epoch.toString()),
            c.map((s) => s.target.leafIndex),
            c.map((s) => s.target.deviceId),
            c.map((s) => s.target.reason),
            c.map((s) => Buffer.from(s.message)),
            c.map((s) => Buffer.from(s.ref)),
            c.map((s) => s.target.plannedAt ?? now),
          ],
        )),
      );
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
      chunk.push({ target, message, ref: proposalRef });
      if (chunk.length >= SIGN_CHUNK) await flush();
    }
    await flush();
    if (inserted.length > 0) {
      await m.query(`SELECT pg_notify($1, $2)`, [REMOVAL_FEED_CHANNEL, orgId]);
      await this.webhooks.enqueueRemovals(m, orgId, inserted.map((r) => r.id));
    }
    return inserted.map((r) => ({ id: String(r.id), groupRef: r.group_ref, leafIndex: r.leaf_index, deviceId: r.device_id }));
  }
}
