import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { encodeKeyEvent, EntryMalformed } from '#tlog';
import type { OutboxDelivery } from '../outbox/outbox-handler.js';
import { OutboxWorker } from '../outbox/outbox.worker.js';
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
    this.outbox.register(KT_APPEND_TOPIC, (message, m) => this.stage(message, m));
  }

  async stage(message: OutboxDelivery, m: EntityManager): Promise<void> {
    const event = keyEventFromKtEvent(message.payload, message.orgId);
    let entry: Uint8Array;
    try {
      entry = encodeKeyEvent(event);
    } catch (e) {
      if (e instanceof EntryMalformed) throw new KtEventInvalid(`kt.append #${message.id}: ${e.message}`);
      throw e;
    }
    await m.query(
      `INSERT INTO kt_pending (org_id, source_id, entry, account_id, certificate_sha256)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM kt_entry WHERE source_id = $2)
       ON CONFLICT (source_id) DO NOTHING`,
      [
        event.org,
        message.id,
        Buffer.from(entry),
        event.account ?? null,
        event.certificateSha256 ? Buffer.from(event.certificateSha256) : null,
      ],
    );
  }
}
