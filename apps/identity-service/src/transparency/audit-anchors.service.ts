import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeKeyEvent } from '#tlog';
import type { AuditAnchor } from '#protocol';
import { AuditService, type ChainHead } from '../audit/index.js';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { OutboxService } from '../outbox/index.js';
import { auditAnchorEntries } from './kt-entry.queries.js';
import { ktAppend } from './kt-event.js';
import { KtLogs } from './kt-logs.service.js';

const HEADS_PER_ROUND = 100;

/**
 * Anchors each org's audit chain in its key-transparency log: an `audit_anchor` entry (event
 * type 12) carrying the chain's head sequence and hash, through the kt.append outbox like every
 * other log event. Every replica runs the timer; heads are claimed FOR UPDATE SKIP LOCKED, so
 * each head is anchored once per move. After an anchor is in a signed checkpoint, rewriting
 * or cutting the chain up to it is detected against the log, which the database cannot edit
 * unnoticed (witnessed checkpoints).
 */
@Injectable()
export class AuditAnchors implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(AuditAnchors.name);
  private timer: NodeJS.Timeout | undefined;
  private anchoring = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly logs: KtLogs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.kt.auditAnchorIntervalMs ?? 60_000;
    this.timer = setInterval(() => void this.anchorDue().catch((e: Error) => this.log.error(`audit anchoring failed: ${e.message}`)), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Anchors every chain head that moved since its last anchor; answers how many. */
  async anchorDue(): Promise<number> {
    if (this.anchoring) return 0;
    this.anchoring = true;
    try {
      let total = 0;
      for (;;) {
        const n = await this.anchor(HEADS_PER_ROUND);
        total += n.length;
        if (n.length < HEADS_PER_ROUND) return total;
      }
    } finally {
      this.anchoring = false;
    }
  }

  /** Anchors the org's chain head now, if it moved since its last anchor; null when there was nothing new. */
  async anchorOrg(orgId: string): Promise<ChainHead | null> {
    const [head] = await this.anchor(1, orgId);
    return head ?? null;
  }

  private anchor(limit: number, orgId?: string): Promise<ChainHead[]> {
    return this.dataSource.transaction(async (m) => {
      const heads = await this.audit.claimUnanchoredHeads(m, limit, orgId);
      const timestamp = new Date().toISOString();
      await this.outbox.enqueue(
        m,
        ...heads.map((head) =>
          ktAppend({ type: 'audit_anchor', orgId: head.orgId, timestamp, auditAnchor: { seq: head.seq, headSha256: head.hash } }),
        ),
      );
      await this.audit.markAnchored(m, heads);
      return heads;
    });
  }

  /** The anchors of the org's chain in its log, as far as the latest signed checkpoint covers it. */
  async anchorsOf(orgId: string): Promise<AuditAnchor[]> {
    const { size } = await this.logs.ensure(orgId);
    return (await auditAnchorEntries(this.dataSource, orgId, size)).flatMap(({ index, entry }) => {
      const event = decodeKeyEvent(entry);
      return event.auditAnchor
        ? [{ seq: String(event.auditAnchor.sequence), hash: Buffer.from(event.auditAnchor.chainHeadSha256).toString('hex'), logIndex: index }]
        : [];
    });
  }
}
