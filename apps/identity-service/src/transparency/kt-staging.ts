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
      return { org: event.org, source: message.id, entry: Buffer.from(entry), account: event.account ?? null, certificate: event.certificateSha256 };
    });
    await m.query(
      `INSERT INTO kt_pending (org_id, source_id, entry, account_id, certificate_sha256)
       SELECT x.org_id, x.source_id, x.entry, x.account_id, x.certificate_sha256
         FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::text[], $5::bytea[])
              AS x(org_id, source_id, entry, account_id, certificate_sha256)
        WHERE NOT EXISTS (SELECT 1 FROM kt_entry e WHERE e.source_id = x.source_id)
       ON CONFLICT (source_id) DO NOTHING`,
      [
        rows.map((r) => r.org),
        rows.map((r) => r.source),
        rows.map((r) => r.entry),
        rows.map((r) => r.account),
        rows.map((r) => (r.certificate ? Buffer.from(r.certificate) : null)),
      ],
    );
  }
}
