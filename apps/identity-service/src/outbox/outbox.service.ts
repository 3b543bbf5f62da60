import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import { OutboxMessage } from './outbox-message.entity.js';

export interface OutboxEvent {
  orgId: string | null;
  topic: string;
  payload: Record<string, unknown>;
  /** For topics of a leased lane: the receiver, whose calls the lane limits and holds off together. */
  key?: string;
}

/**
 * Writes events in the caller's transaction: if the business change rolls back, so does the
 * event, and if it commits, the event will be delivered (at least once) by OutboxWorker.
 */
@Injectable()
export class OutboxService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async enqueue(manager: EntityManager, ...events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('outbox events must be written inside the transaction of the change they describe');
    }
    const rows = events.map(({ key, ...event }) => ({ ...event, laneKey: key ?? null }));
    await manager.insert(OutboxMessage, rows as never[]);
  }

  /**
   * Whether message `id` (the id a producer got back as a receipt) of this org and topic exists
   * and has not been given up: queued, being retried, or delivered.
   */
  async isLive(id: string, orgId: string, topic: string, manager?: EntityManager): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) return false;
    return (manager ?? this.dataSource.manager).exists(OutboxMessage, { where: { id, orgId, topic, deadAt: IsNull() } });
  }
}
