import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { encodeKeyEvent, EntryMalformed } from '#tlog';
import { OutboxWorker, type OutboxDelivery } from '../outbox/index.js';
import { stageEvents } from './kt-entry.queries.js';
import { KT_APPEND_TOPIC } from './kt-event.js';
import { KtEventInvalid, keyEventFromKtEvent } from './kt-event-entry.js';

/**
 * The kt.append consumer: encodes the event as a log entry and stages it, in the outbox
 * claim's transaction, for the sequencer. The outbox message id is the entry's source id,
 * so a message delivered again is never staged (nor appended) twice. A payload that can't
 * be encoded fails the delivery, is retried and ends up dead in the outbox, visibly.
 */
@Injectable()
export class KtStaging implements OnModuleInit {
  constructor(private readonly outbox: OutboxWorker) {}

  onModuleInit(): void {
    // Batched: a deprovisioning or a bulk import produces entries by the thousand.
    this.outbox.registerBatch(KT_APPEND_TOPIC, (messages, m) => this.stage(messages, m));
  }

  async stage(messages: OutboxDelivery[], m: EntityManager): Promise<void> {
    const rows = messages.map((message) => {
      const event = keyEventFromKtEvent(message.payload, message.orgId);
      let entry: Uint8Array;
      try {
        entry = encodeKeyEvent(event);
      } catch (e) {
        if (e instanceof EntryMalformed) throw new KtEventInvalid(`kt.append #${message.id}: ${e.message}`);
        throw e;
      }
      return {
        orgId: event.org,
        sourceId: String(message.id),
        entry: Buffer.from(entry),
        accountId: event.account ?? null,
        certificateSha256: event.certificateSha256 ? Buffer.from(event.certificateSha256) : null,
      };
    });
    await stageEvents(m, rows);
  }
}
