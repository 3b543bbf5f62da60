import type { Clock } from '../src/timers.js';

/** A clock that moves only when told; timers fire in time order as it passes them. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  /** Every delay a timer was armed with, in order (to check polling intervals). */
  readonly delays: number[] = [];
  /** Work started by a timer that must finish before time moves on (e.g. an AutoRenewal's attempt). */
  quiesce: (() => Promise<unknown>) | undefined;

  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.delays.push(ms);
    this.timers.push({ at: this.current + Math.max(0, ms), fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Waits (in real time) until some work has armed a timer. */
  async untilTimerArmed(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.timers.length === 0) {
      if (Date.now() > end) throw new Error('no timer was armed');
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Time of the next timer, if any. */
  get nextAt(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.at)) : undefined;
  }

  /** Moves time forward by `ms`, firing due timers (and letting their promises settle). */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
      await this.quiesce?.();
    }
    this.current = end;
    await settle();
    await this.quiesce?.();
  }
}

/** Lets pending promise chains (fetches answered by fakes, WebCrypto) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
