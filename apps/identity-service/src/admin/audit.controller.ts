import { Controller, Get, HttpCode, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { AuditService, auditFilterOf, chainEntryOf, encodeAuditCursor } from '../audit/index.js';
import { AdminRoute } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { AuditAnchors } from '../transparency/index.js';
import { auditEventView } from './admin-views.js';
import { AuditFilterDto, AuditQueryDto } from './dto/audit-query.dto.js';

/** The org's audit log: read, exported and verified by admins whose role grants audit:read, and by auditor tokens. */
@ApiTags('admin')
@Controller('v1/admin/orgs')
@AdminRoute('audit:read', 'auditor')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly anchors: AuditAnchors,
  ) {}

  /**
   * Filtered, in chain order. `cursor` pages on and is null after the last page; `next` (the
   * same cursor, null only for an empty page) keeps the older clients' loop working, whether
   * they pass it back as `cursor` or as `after`.
   */
  @Get(':org/audit-events')
  async auditEvents(@OrgParam() org: Org, @Query() query: AuditQueryDto) {
    const limit = query.limit ?? 100;
    const events = await this.audit.list(org.id, auditFilterOf(query), limit);
    const last = events.at(-1);
    return {
      auditEvents: events.map(auditEventView),
      next: last ? encodeAuditCursor(last.seq) : null,
      cursor: last && events.length === limit ? encodeAuditCursor(last.seq) : null,
    };
  }

  /** Every matching entry as JSON lines (the form `mlsid audit verify --file` checks), streamed. */
  @Get(':org/audit-events/export')
  @ApiProduces('application/x-ndjson')
  async exportEvents(@OrgParam() org: Org, @Query() query: AuditFilterDto): Promise<StreamableFile> {
    const filter = auditFilterOf(query);
    const audit = this.audit;
    async function* lines(): AsyncGenerator<string> {
      for await (const e of audit.stream(org.id, filter)) yield `${JSON.stringify({ id: e.id, ...chainEntryOf(e) })}\n`;
    }
    return new StreamableFile(Readable.from(lines()), {
      type: 'application/x-ndjson',
      disposition: `attachment; filename="audit-${org.slug}.jsonl"`,
    });
  }

  /** The whole chain recomputed and checked against its anchors in the org's KT log: ok, or the first broken sequence and why. */
  @Get(':org/audit/verify')
  async verify(@OrgParam() org: Org) {
    const verdict = await this.audit.verify(org.id, await this.anchors.anchorsOf(org.id));
    // `checked`, `brokenAt` and `problem` name the same facts for the console's summary.
    return { ...verdict, checked: verdict.entries, brokenAt: verdict.ok ? null : verdict.seq, problem: verdict.ok ? null : verdict.detail };
  }

  /** Anchors the chain head in the KT log now (when it moved since the last anchor); the log sequences it within seconds. */
  @Post(':org/audit/anchor')
  @HttpCode(202)
  async anchor(@OrgParam() org: Org) {
    const head = await this.anchors.anchorOrg(org.id);
    return { anchored: head ? { seq: head.seq, hash: head.hash } : null };
  }
}
