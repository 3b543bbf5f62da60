/**
 * A background loop that repeats `step` while it finds work and otherwise sleeps for
 * `idleMs` — unless nudged awake by a writer that just committed. Errors are reported and
 * the loop goes on: a database blip must not stop a worker for good.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly step: () => Promise<number>,
    private readonly idleMs: () => number,
    private readonly onError: (e: Error) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  nudge(): void {
    this.wake?.();
  }

  /** Stops after the step under way, if any, has finished. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let done = 0;
      try {
        done = await this.step();
      } catch (e) {
        this.onError(e as Error);
      }
      if (done === 0 && this.running) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, this.idleMs());
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
