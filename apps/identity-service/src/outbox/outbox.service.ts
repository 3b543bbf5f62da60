import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxMessage } from './outbox-message.entity.js';

export interface OutboxEvent {
  orgId: string | null;
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * Writes events in the caller's transaction: if the business change rolls back, so does the
 * event, and if it commits, the event will be delivered (at least once) by OutboxWorker.
 */
@Injectable()
export class OutboxService {
  async enqueue(manager: EntityManager, ...events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('outbox events must be written inside the transaction of the change they describe');
    }
    await manager.insert(OutboxMessage, events as never[]);
  }
}
