import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { CredentialsService } from '../orgs/index.js';
import { OutboxService, OutboxWorker } from '../outbox/index.js';
import { removalViewRows } from './removal.repository.js';
import { RemovalErrors } from './removals.errors.js';
import { removalView, type RemovalViewRow } from './removal.view.js';
import { webhookHeaders, webhookSigningKey } from './standard-webhooks.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { recordDelivered, recordFailedAttempt } from './webhook-delivery.repository.js';

/** Outbox topic: deliver one webhook_delivery row (payload `{ deliveryId }`). */
export const REMOVAL_WEBHOOK_TOPIC = 'removals.webhook';
export const REMOVALS_PROPOSED_EVENT = 'removals.proposed';
/** Proposals per webhook message: keeps bodies well under common 1 MB receiver limits. */
const PROPOSALS_PER_MESSAGE = 100;
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Pushes the feed's proposals to each delivery-service client with a webhook URL, signed
 * per Standard Webhooks, through the outbox: at least once, with the outbox's exponential
 * backoff, every attempt logged in webhook_delivery, and any message replayable.
 */
@Injectable()
export class RemovalWebhooksService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: OutboxService,
    private readonly worker: OutboxWorker,
    private readonly credentials: CredentialsService,
  ) {}

  onModuleInit(): void {
    this.worker.register(REMOVAL_WEBHOOK_TOPIC, (message, m) => this.deliver(String(message.payload.deliveryId), message.attempts, m));
  }

  /**
   * In the planner's transaction: one delivery per chunk of new proposals to the client that
   * owns their group (groups registered before ownership: to every client with a URL).
   */
  async enqueueRemovals(m: EntityManager, orgId: string, removalIds: string[]): Promise<void> {
    const clients = await this.credentials.webhookClientIds(m, orgId);
    if (clients.length === 0) return;
    const byClient = new Map<string, RemovalViewRow[]>();
    for (const row of await removalViewRows(m, removalIds)) {
      for (const clientId of row.ds_client_id === null ? clients : clients.filter((c) => c === row.ds_client_id)) {
        byClient.set(clientId, [...(byClient.get(clientId) ?? []), row]);
      }
    }
    for (const [clientId, rows] of byClient) {
      for (let i = 0; i < rows.length; i += PROPOSALS_PER_MESSAGE) {
        const removals = rows.slice(i, i + PROPOSALS_PER_MESSAGE).map(removalView);
        const id = `msg_${randomUUID()}`;
        const payload = { type: REMOVALS_PROPOSED_EVENT, timestamp: new Date().toISOString(), data: { removals } };
        await m.insert(WebhookDelivery, {
          id,
          orgId,
          dsClientId: clientId,
          eventType: REMOVALS_PROPOSED_EVENT,
          payload,
          status: 'pending',
          attempts: 0,
        });
        await this.outbox.enqueue(m, { orgId, topic: REMOVAL_WEBHOOK_TOPIC, payload: { deliveryId: id } });
      }
    }
  }

  private async deliver(deliveryId: string, previousAttempts: number, m: EntityManager): Promise<void> {
    const delivery = await m.findOneBy(WebhookDelivery, { id: deliveryId });
    if (!delivery) return;
    const client = await this.credentials.findDsClient(delivery.dsClientId, m);
    if (!client || client.revokedAt || !client.webhookUrl) {
      await m.update(WebhookDelivery, { id: deliveryId }, { status: 'failed', lastError: 'the client is revoked or has no webhook URL' });
      return;
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(webhookSigningKey(this.credentials.webhookSecret(client)), delivery.id, timestamp, body);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(client.webhookUrl, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel().catch(() => {});
      if (status < 200 || status >= 300) error = `receiver answered ${status}`;
    } catch (e) {
      error = `request failed: ${(e as Error).message}`;
    }
    if (error === null) {
      await recordDelivered(m, deliveryId, status);
      return;
    }
    // The outbox rolls the handler's writes back on failure, so the attempt is logged outside it.
    const givingUp = previousAttempts + 1 >= this.config.outbox.maxAttempts;
    await recordFailedAttempt(this.dataSource, deliveryId, { statusCode: status, error, givingUp });
    throw new Error(error);
  }

  async list(orgId: string, clientId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.dataSource.getRepository(WebhookDelivery).find({
      where: { orgId, dsClientId: clientId },
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }

  /** Sends a logged message again, with its original webhook-id so receivers can deduplicate. */
  async replay(orgId: string, clientId: string, deliveryId: string): Promise<WebhookDelivery> {
    return this.dataSource
      .transaction(async (m) => {
        const row = await m.findOneBy(WebhookDelivery, { id: deliveryId, orgId, dsClientId: clientId });
        if (!row) throw RemovalErrors.error('unknown_delivery', `no webhook delivery ${deliveryId}`);
        await m.update(WebhookDelivery, { id: deliveryId }, { status: 'pending' });
        await this.outbox.enqueue(m, { orgId, topic: REMOVAL_WEBHOOK_TOPIC, payload: { deliveryId } });
        return { ...row, status: 'pending' as const };
      })
      .finally(() => this.worker.nudge());
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
