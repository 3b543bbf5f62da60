/** A step that did not hold: the demo stops there and exits non-zero. */
export class StepFailed extends Error {
  readonly code = 'ERR_DEMO_STEP_FAILED';
}

/** Throws StepFailed with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

/**
 * Runs the demo's steps in order, each printing one line: what happened and how long it
 * took. The first failing step prints what went wrong and ends the run.
 */
export class StepRunner {
  private count = 0;
  private readonly started = Date.now();

  constructor(private readonly print: (line: string) => void) {}

  async step<T>(title: string, run: () => Promise<{ line: string; value: T }>): Promise<T> {
    const n = String(++this.count).padStart(2, ' ');
    const t0 = performance.now();
    try {
      const { line, value } = await run();
      this.print(`${n}. ✔ ${line}  (${seconds(performance.now() - t0)})`);
      return value;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.print(`${n}. ✘ ${title} FAILED: ${message}  (${seconds(performance.now() - t0)})`);
      throw new StepFailed(`step ${this.count} (${title}) failed`, { cause: e });
    }
  }

  get elapsed(): string {
    return seconds(Date.now() - this.started);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
