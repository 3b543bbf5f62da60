import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../audit/index.js';

/** Anonymous refusals of one (org, reason, flow) are counted per window of this length. */
export const REFUSAL_WINDOW_S = 5 * 60;

interface ClosedWindow {
  org_id: string;
  reason: string;
  flow: string;
  window_start: Date;
  count: number;
  last_detail: string | null;
  last_at: Date;
}

/**
 * Refusals nobody signed in for (a bad CSR, a forged ID token, a rate limit) cost an attacker
 * nothing, so they must not cost the audit log a row each (issue 13 §7). The first refusal of
 * each (org, reason, flow) in a window is audited in full, later ones only count in
 * enrollment_refusal_tally, and once the window has closed one `enrollment.refuse.summary` row
 * says how many there were. The audit log stays append-only: no row is ever updated.
 */
@Injectable()
export class AnonymousRefusals {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async record(orgId: string, flow: string, reason: string, detail: string, details: Record<string, unknown>, target: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const [row] = (await m.query(
        `INSERT INTO enrollment_refusal_tally (org_id, reason, flow, window_start, count, last_detail)
         VALUES ($1, $2, $3, to_timestamp(floor(extract(epoch FROM now()) / $4) * $4), 1, $5)
         ON CONFLICT (org_id, reason, flow, window_start)
           DO UPDATE SET count = enrollment_refusal_tally.count + 1, last_detail = EXCLUDED.last_detail, last_at = now()
         RETURNING count, window_start`,
        [orgId, reason, flow, REFUSAL_WINDOW_S, detail.slice(0, 500)],
      )) as { count: number; window_start: Date }[];
      if (row!.count !== 1) return;
      await this.audit.record(m, {
        orgId,
        actor: 'anonymous',
        action: 'enrollment.refuse',
        target,
        details: { reason, flow, detail, ...details, tallyWindowStart: row!.window_start.toISOString(), tallyWindowS: REFUSAL_WINDOW_S },
      });
    });
  }

  /**
   * Closes the windows that have ended: one summary audit row for each that counted more than
   * its first refusal. The DELETE claims the rows, so replicas running this together write
   * each summary once.
   */
  async summarizeClosedWindows(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const [closed] = (await m.query(
        `DELETE FROM enrollment_refusal_tally WHERE window_start + make_interval(secs => $1) <= now()
         RETURNING org_id, reason, flow, window_start, count, last_detail, last_at`,
        [REFUSAL_WINDOW_S],
      )) as [ClosedWindow[], number];
      const repeated = closed.filter((w) => w.count > 1);
      await this.audit.record(
        m,
        ...repeated.map((w) => ({
          orgId: w.org_id,
          actor: 'anonymous',
          action: 'enrollment.refuse.summary',
          target: `org:${w.org_id}`,
          details: {
            reason: w.reason,
            flow: w.flow,
            count: w.count,
            windowStart: w.window_start.toISOString(),
            windowEnd: new Date(w.window_start.getTime() + REFUSAL_WINDOW_S * 1000).toISOString(),
            lastAt: w.last_at.toISOString(),
            lastDetail: w.last_detail,
          },
        })),
      );
      return repeated.length;
    });
  }
}
