import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DEVICES_REVOKED_TOPIC, DevicesService, type DevicesRevokedPayload } from '../devices/index.js';
import { OutboxWorker, type OutboxDelivery } from '../outbox/index.js';
import { KT_APPEND_TOPIC, type KtEvent } from '../transparency/index.js';
import { RemovalWebhooksService } from './removal-webhooks.service.js';
import type { WebhookEventType } from './webhook-events.js';

/**
 * Lifecycle webhooks (`device.enrolled`, `device.revoked`, `certificate.revoked`,
 * `account.deprovisioned`) for the delivery services that subscribed. They are derived from
 * the outbox messages the changes already write in their own transactions (the key-
 * transparency events and the devices-revoked message), as observers of those topics: the
 * webhook rows are written under the savepoint that delivers the message, so every committed
 * change yields its webhooks exactly once, and no producer had to learn about webhooks.
 */
@Injectable()
export class LifecycleWebhooksService implements OnModuleInit {
  constructor(
    private readonly worker: OutboxWorker,
    private readonly webhooks: RemovalWebhooksService,
    private readonly devices: DevicesService,
  ) {}

  onModuleInit(): void {
    this.worker.observe(KT_APPEND_TOPIC, (messages, m) => this.fromLogEvents(messages, m));
    this.worker.observe(DEVICES_REVOKED_TOPIC, (messages, m) => this.fromRevokedDevices(messages, m));
  }

  private async fromLogEvents(messages: OutboxDelivery[], m: EntityManager): Promise<void> {
    for (const message of messages) {
      const event = message.payload as KtEvent;
      const hook = lifecycleOf(event);
      if (!hook || !message.orgId) continue;
      await this.webhooks.enqueueEvent(m, message.orgId, hook.type, hook.data, message.id);
    }
  }

  private async fromRevokedDevices(messages: OutboxDelivery[], m: EntityManager): Promise<void> {
    for (const message of messages) {
      const payload = message.payload as DevicesRevokedPayload;
      if (!message.orgId || !Array.isArray(payload.deviceIds)) continue;
      for (const device of await this.devices.revokedAmong(message.orgId, payload.deviceIds, m)) {
        const data = {
          deviceId: device.id,
          accountId: device.accountId,
          signatureKeySha256: device.signatureKeySha256.toString('hex'),
          reason: device.revocationReason ?? payload.reason,
          revokedAt: device.revokedAt?.toISOString() ?? null,
        };
        await this.webhooks.enqueueEvent(m, message.orgId, 'device.revoked', data, `${message.id}_${device.id}`);
      }
    }
  }
}

/** The webhook a log event becomes, if any; the data is what the log entry states. */
export function lifecycleOf(event: KtEvent): { type: WebhookEventType; data: Record<string, unknown> } | undefined {
  const at = event.timestamp;
  switch (event.type) {
    case 'device_enrolled':
      return {
        type: 'device.enrolled',
        data: {
          deviceId: event.deviceId,
          accountId: event.accountId,
          certificateSha256: event.certificateSha256,
          signatureKeySha256: event.signatureKeySha256,
          enrolledAt: at,
        },
      };
    case 'certificate_revoked':
      return {
        type: 'certificate.revoked',
        data: {
          certificateSha256: event.certificateSha256,
          deviceId: event.deviceId ?? null,
          accountId: event.accountId ?? null,
          signatureKeySha256: event.signatureKeySha256 ?? null,
          reason: event.reason,
          revokedAt: at,
        },
      };
    case 'account_deprovisioned':
      return { type: 'account.deprovisioned', data: { accountId: event.accountId, mode: event.reason, deprovisionedAt: at } };
    default:
      return undefined;
  }
}
