// `mlsid log removal-latency`: how long removals took, measured from the key-transparency log
// alone (issue 12 §5). Every signed external Remove is a `removal_proposed` entry and every
// removal a report showed done is a `removal_committed` entry; both carry when the removal of
// that member was first planned, so latency = committed timestamp − planned_at.
import type { KeyEvent } from '#tlog';

export interface RemovalLatencyReport {
  /** removal_proposed entries (a proposal re-signed for a new epoch counts again). */
  proposals: number;
  /** Distinct (group, device) removals that have a proposal or a commit in the log. */
  removals: number;
  committed: number;
  /** Committed removals with no proposal before them in the log: the service logged a commit of nothing it proposed. */
  committedWithoutProposal: number;
  /** Milliseconds, ascending. */
  latenciesMs: number[];
  open: { count: number; oldestPlannedAt: number | null };
  percentilesMs: { p50: number; p90: number; p99: number; max: number } | null;
}

const key = (e: KeyEvent) => `${Buffer.from(e.removal!.groupIdSha256).toString('hex')}/${e.device ?? ''}`;

/** Nearest-rank percentile (the smallest value with at least q of the values at or below it). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('no values');
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** Pairs proposals and commits per (group, device) in log order. */
export function removalLatency(events: Iterable<KeyEvent>): RemovalLatencyReport {
  const open = new Map<string, number>();
  const seen = new Set<string>();
  const latencies: number[] = [];
  let proposals = 0;
  let committedWithoutProposal = 0;
  for (const e of events) {
    if (!e.removal) continue;
    const k = key(e);
    seen.add(k);
    if (e.type === 'removal_proposed') {
      proposals += 1;
      if (!open.has(k)) open.set(k, e.removal.plannedAt);
    } else if (e.type === 'removal_committed') {
      if (!open.delete(k)) committedWithoutProposal += 1;
      latencies.push(Math.max(0, e.timestamp - e.removal.plannedAt));
    }
  }
  latencies.sort((a, b) => a - b);
  const planned = [...open.values()];
  return {
    proposals,
    removals: seen.size,
    committed: latencies.length,
    committedWithoutProposal,
    latenciesMs: latencies,
    open: { count: open.size, oldestPlannedAt: planned.length > 0 ? Math.min(...planned) : null },
    percentilesMs:
      latencies.length === 0
        ? null
        : {
            p50: percentile(latencies, 0.5),
            p90: percentile(latencies, 0.9),
            p99: percentile(latencies, 0.99),
            max: latencies[latencies.length - 1]!,
          },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

/** The report as the CLI prints it. */
export function formatRemovalLatency(r: RemovalLatencyReport, now: number): string[] {
  const lines = [`removals ${r.removals} (${r.proposals} proposals signed), committed ${r.committed}, open ${r.open.count}`];
  if (r.percentilesMs) {
    const p = r.percentilesMs;
    lines.push(`latency count ${r.committed} p50 ${seconds(p.p50)} p90 ${seconds(p.p90)} p99 ${seconds(p.p99)} max ${seconds(p.max)}`);
  } else {
    lines.push('latency count 0');
  }
  if (r.open.oldestPlannedAt !== null) {
    lines.push(`oldest open removal planned ${new Date(r.open.oldestPlannedAt).toISOString()} (${seconds(now - r.open.oldestPlannedAt)} ago)`);
  }
  if (r.committedWithoutProposal > 0) lines.push(`warning: ${r.committedWithoutProposal} committed removals have no proposal in the log`);
  return lines;
}
