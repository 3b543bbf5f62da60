import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditRecord {
  orgId: string | null;
  actor: string;
  action: string;
  target: string;
  /** Identifiers and non-secret fields only. */
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records in the caller's transaction, so the audit trail and the change commit together. */
  async record(manager: EntityManager, ...events: AuditRecord[]): Promise<void> {
    if (events.length === 0) return;
    await manager.insert(
      AuditEvent,
      events.map((event) => ({ ...event, details: (event.details ?? {}) as never })),
    );
  }

  async list(orgId: string, after: string | undefined, limit: number): Promise<AuditEvent[]> {
    const qb = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.org_id = :orgId', { orgId })
      .orderBy('e.id', 'ASC')
      .limit(limit);
    if (after) qb.andWhere('e.id > :after', { after });
    return qb.getMany();
  }
}
