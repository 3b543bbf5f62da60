import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CredentialsService } from '../orgs/index.js';
import type { LaneOptions, LeasedDelivery, LeasedOutboxHandler, LeaseOutcome } from '../outbox/index.js';
import { webhookHeaders, webhookSigningKey } from './standard-webhooks.js';
import { WebhookDelivery } from './webhook-delivery.entity.js';
import { recordDelivered, recordFailedAttempt, recordUndeliverable } from './webhook-delivery.repository.js';

/** Outbox topic: deliver one webhook_delivery row (payload `{ deliveryId }`, key: the DS client id). */
export const REMOVAL_WEBHOOK_TOPIC = 'removals.webhook';
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * The webhook lane: calls run outside any transaction under a lease that outlives the
 * request timeout; two calls at a time per receiver; a receiver that failed three times in a
 * row is held off with growing backoff, so it costs a few leases and never the lane.
 */
export const WEBHOOK_LANE: LaneOptions = {
  lane: 'webhooks',
  leaseMs: WEBHOOK_TIMEOUT_MS + 20_000,
  perKeyConcurrency: 2,
  maxInFlight: 32,
  circuitAfterFailures: 3,
};

/** A failed attempt and the status the receiver answered, if it answered. */
class WebhookAttemptFailed extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
  ) {
    super(message);
  }
}

type Sent = { statusCode: number } | { undeliverable: string };

/** Sends one logged webhook message, signed per Standard Webhooks, and records the attempt. */
@Injectable()
export class WebhookSender implements LeasedOutboxHandler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly credentials: CredentialsService,
  ) {}

  async call(message: LeasedDelivery, signal: AbortSignal): Promise<Sent> {
    const deliveryId = String(message.payload.deliveryId);
    const delivery = await this.dataSource.manager.findOneBy(WebhookDelivery, { id: deliveryId });
    if (!delivery) return { undeliverable: 'the delivery no longer exists' };
    const client = await this.credentials.findDsClient(delivery.dsClientId);
    if (!client || client.revokedAt || !client.webhookUrl) {
      return { undeliverable: 'the client is revoked or has no webhook URL' };
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(this.credentials.webhookSecrets(client).map(webhookSigningKey), delivery.id, timestamp, body);
    let res: Response;
    try {
      res = await fetch(client.webhookUrl, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
      });
    } catch (e) {
      throw new WebhookAttemptFailed(`request failed: ${(e as Error).message}`, null);
    }
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300) throw new WebhookAttemptFailed(`receiver answered ${res.status}`, res.status);
    return { statusCode: res.status };
  }

  async settle(message: LeasedDelivery, outcome: LeaseOutcome, m: EntityManager): Promise<void> {
    const deliveryId = String(message.payload.deliveryId);
    if (!outcome.ok) {
      const statusCode = outcome.error instanceof WebhookAttemptFailed ? outcome.error.statusCode : null;
      await recordFailedAttempt(m, deliveryId, { statusCode, error: outcome.error.message, givingUp: outcome.givingUp });
      return;
    }
    const sent = outcome.result as Sent;
    if ('undeliverable' in sent) await recordUndeliverable(m, deliveryId, sent.undeliverable);
    else await recordDelivered(m, deliveryId, sent.statusCode);
  }
}
