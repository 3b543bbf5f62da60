import type { KeyEvent } from '#tlog';
import { formatRemovalLatency, percentile, removalLatency } from './removal-latency.js';

const group = (n: number) => new Uint8Array(32).fill(n);
const T0 = Date.parse('2026-11-29T21:00:00Z');

function ev(type: 'removal_proposed' | 'removal_committed', g: number, device: string, at: number, plannedAt: number, epoch = 1): KeyEvent {
  return {
    type,
    org: 'o',
    device,
    reason: 'keyCompromise',
    timestamp: T0 + at,
    removal: { groupIdSha256: group(g), epoch, leafIndex: 1, plannedAt: T0 + plannedAt },
  };
}

describe('removal latency from log entries', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 0.5), percentile(values, 0.9), percentile(values, 0.99), percentile(values, 1)]).toEqual([50, 90, 99, 100]);
    expect(percentile([7], 0.5)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow(RangeError);
  });

  it('measures committed − planned per (group, device), counts re-signed proposals once per removal, and lists the open ones', () => {
    const events: KeyEvent[] = [
      { type: 'device_enrolled', org: 'o', device: 'd1', timestamp: T0 },
      ev('removal_proposed', 1, 'd1', 0, 0),
      ev('removal_proposed', 1, 'd2', 0, 0),
      ev('removal_proposed', 2, 'd1', 10, 10),
      // group 1 moved on without removing d1: signed again, same planning time
      ev('removal_proposed', 1, 'd1', 2000, 0, 2),
      ev('removal_committed', 1, 'd1', 3000, 0, 3),
      ev('removal_committed', 1, 'd2', 500, 0, 2),
    ];
    const r = removalLatency(events);
    expect(r).toMatchObject({ proposals: 4, removals: 3, committed: 2, committedWithoutProposal: 0, latenciesMs: [500, 3000] });
    expect(r.open).toEqual({ count: 1, oldestPlannedAt: T0 + 10 });
    expect(r.percentilesMs).toEqual({ p50: 500, p90: 3000, p99: 3000, max: 3000 });
    expect(formatRemovalLatency(r, T0 + 60_010)).toEqual([
      'removals 3 (4 proposals signed), committed 2, open 1',
      'latency count 2 p50 0.500 s p90 3.000 s p99 3.000 s max 3.000 s',
      'oldest open removal planned 2026-11-29T21:00:00.010Z (60.000 s ago)',
    ]);
  });

  it('flags a commit the log shows no proposal for, and reports an empty log', () => {
    const r = removalLatency([ev('removal_committed', 3, 'd9', 100, 0)]);
    expect(r).toMatchObject({ committed: 1, committedWithoutProposal: 1, open: { count: 0, oldestPlannedAt: null } });
    expect(formatRemovalLatency(r, T0).at(-1)).toBe('warning: 1 committed removals have no proposal in the log');
    const none = removalLatency([]);
    expect(none.percentilesMs).toBeNull();
    expect(formatRemovalLatency(none, T0)).toEqual(['removals 0 (0 proposals signed), committed 0, open 0', 'latency count 0']);
  });
});
