import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { CredentialsService } from '../orgs/index.js';
import { OutboxService, OutboxWorker } from '../outbox/index.js';
import { removalViewRows } from './removal.repository.js';
import { RemovalErrors } from './removals.errors.js';
import { removalView, type RemovalViewRow } from './removal.view.js';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEventType } from './webhook-events.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { insertPendingDelivery } from './webhook-delivery.repository.js';
import { REMOVAL_WEBHOOK_TOPIC, WEBHOOK_LANE, WebhookSender } from './webhook-sender.js';

export { REMOVAL_WEBHOOK_TOPIC } from './webhook-sender.js';
export const REMOVALS_PROPOSED_EVENT = 'removals.proposed';
/** Proposals per webhook message: keeps bodies well under common 1 MB receiver limits. */
const PROPOSALS_PER_MESSAGE = 100;
/** Replays a delivery-service client may ask for per minute, counted across replicas. */
export const REPLAYS_PER_MINUTE = 20;

/**
 * Pushes events to each delivery-service client with a webhook URL that subscribed to them,
 * signed per Standard Webhooks, through the outbox's webhook lane: at least once, with
 * backoff, every attempt logged in webhook_delivery, and any message replayable.
 */
@Injectable()
export class RemovalWebhooksService implements OnModuleInit {
  private readonly replays: RateLimiterPostgres;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly worker: OutboxWorker,
    private readonly credentials: CredentialsService,
    private readonly sender: WebhookSender,
    private readonly audit: AuditService,
  ) {
    // State in PostgreSQL (table from migration 1733300001000), so every replica counts together.
    this.replays = new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      tableName: 'webhook_replay_limit',
      tableCreated: true,
      keyPrefix: 'replay',
      points: REPLAYS_PER_MINUTE,
      duration: 60,
    });
  }

  onModuleInit(): void {
    this.worker.registerLeased(REMOVAL_WEBHOOK_TOPIC, this.sender, WEBHOOK_LANE);
  }

  /**
   * In the caller's transaction: one logged message of `eventType` per subscribed client.
   * `id` (the webhook-id) is derived from `sourceId` when given, so a fan-out that runs twice
   * writes each message once.
   */
  async enqueueEvent(
    m: EntityManager,
    orgId: string,
    eventType: WebhookEventType,
    data: Record<string, unknown>,
    sourceId?: string,
  ): Promise<number> {
    const clients = await this.credentials.webhookClientIds(m, orgId, eventType, DEFAULT_WEBHOOK_EVENTS.includes(eventType));
    for (const clientId of clients) await this.deliver(m, orgId, clientId, eventType, data, sourceId);
    return clients.length;
  }

  /**
   * In the caller's transaction: `eventType` to the client that owns the group (null: every
   * subscribed client), if it subscribed; a source id makes it once only.
   */
  async enqueueForOwner(
    m: EntityManager,
    orgId: string,
    ownerClientId: string | null,
    eventType: WebhookEventType,
    data: Record<string, unknown>,
    sourceId: string,
  ): Promise<void> {
    const clients = await this.credentials.webhookClientIds(m, orgId, eventType, DEFAULT_WEBHOOK_EVENTS.includes(eventType));
    for (const clientId of ownerClientId === null ? clients : clients.filter((c) => c === ownerClientId)) {
      await this.deliver(m, orgId, clientId, eventType, data, sourceId);
    }
  }

  /** One logged delivery to one client, sent by the webhook lane (a source id makes it once only). */
  private async deliver(
    m: EntityManager,
    orgId: string,
    clientId: string,
    eventType: WebhookEventType,
    data: Record<string, unknown>,
    sourceId?: string,
  ): Promise<void> {
    const id = sourceId ? `msg_${eventType}_${sourceId}_${clientId}` : `msg_${randomUUID()}`;
    const payload = { type: eventType, timestamp: new Date().toISOString(), data };
    if (!(await insertPendingDelivery(m, { id, orgId, dsClientId: clientId, eventType, payload }))) return;
    await this.outbox.enqueue(m, { orgId, topic: REMOVAL_WEBHOOK_TOPIC, payload: { deliveryId: id }, key: clientId });
  }

  /**
   * In the planner's transaction: one delivery per chunk of new proposals to the client that
   * owns their group (groups registered before ownership: to every client with a URL).
   */
  async enqueueRemovals(m: EntityManager, orgId: string, removalIds: string[]): Promise<void> {
    const clients = await this.credentials.webhookClientIds(
      m,
      orgId,
      REMOVALS_PROPOSED_EVENT,
      DEFAULT_WEBHOOK_EVENTS.includes(REMOVALS_PROPOSED_EVENT),
    );
    if (clients.length === 0) return;
    const byClient = new Map<string, RemovalViewRow[]>();
    for (const row of await removalViewRows(m, removalIds)) {
      for (const clientId of row.ds_client_id === null ? clients : clients.filter((c) => c === row.ds_client_id)) {
        byClient.set(clientId, [...(byClient.get(clientId) ?? []), row]);
      }
    }
    for (const [clientId, rows] of byClient) {
      for (let i = 0; i < rows.length; i += PROPOSALS_PER_MESSAGE) {
        await this.deliver(m, orgId, clientId, REMOVALS_PROPOSED_EVENT, { removals: rows.slice(i, i + PROPOSALS_PER_MESSAGE).map(removalView) });
      }
    }
  }

  async list(orgId: string, clientId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.dataSource.getRepository(WebhookDelivery).find({
      where: { orgId, dsClientId: clientId },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }

  /**
   * Sends a logged message again, with its original webhook-id so receivers can deduplicate.
   * A delivery still pending (queued, retrying or in flight) is not queued twice: the answer
   * is the existing one. Replays are rate-limited per client (429 with Retry-After).
   */
  async replay(orgId: string, clientId: string, deliveryId: string): Promise<{ delivery: WebhookDelivery; queued: boolean }> {
    try {
      await this.replays.consume(`${orgId}:${clientId}`);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const retryAfterSeconds = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      throw RemovalErrors.error('replay_rate_limited', `at most ${REPLAYS_PER_MINUTE} replays per minute`, { retryAfterSeconds });
    }
    const result = await this.dataSource.transaction(async (m) => {
      // The row lock orders concurrent replays of one delivery: the second sees it pending.
      const row = await m.findOne(WebhookDelivery, { where: { id: deliveryId, orgId, dsClientId: clientId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw RemovalErrors.error('unknown_delivery', `no webhook delivery ${deliveryId}`);
      if (row.status === 'pending') return { delivery: row, queued: false };
      await m.update(WebhookDelivery, { id: deliveryId }, { status: 'pending' });
      await this.outbox.enqueue(m, { orgId, topic: REMOVAL_WEBHOOK_TOPIC, payload: { deliveryId }, key: clientId });
      await this.audit.record(m, {
        orgId,
        actor: `ds-client:${clientId}`,
        action: 'ds_webhook.replay',
        target: `webhook_delivery:${deliveryId}`,
        details: { eventType: row.eventType },
        before: { status: row.status },
        after: { status: 'pending' },
      });
      return { delivery: { ...row, status: 'pending' as const }, queued: true };
    });
    if (result.queued) this.worker.nudge();
    return result;
  }
}

export function webhookDeliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    removals: ((d.payload.data as { removals?: unknown[] } | undefined)?.removals ?? []).length,
  };
}
