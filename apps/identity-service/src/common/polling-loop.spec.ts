import { PollingLoop } from './polling-loop.js';

describe('PollingLoop', () => {
  it('repeats while there is work, sleeps when idle, wakes on nudge, survives errors and stops', async () => {
    const calls: string[] = [];
    let work = 3;
    let fail = true;
    const errors: string[] = [];
    const loop = new PollingLoop(
      async () => {
        if (fail) {
          fail = false;
          calls.push('error');
          throw new Error('database blip');
        }
        calls.push(work > 0 ? 'work' : 'idle');
        return work > 0 ? work-- : 0;
      },
      () => 10_000,
      (e) => errors.push(e.message),
    );
    loop.start();
    await new Promise((r) => setTimeout(r, 50));
    // The error was reported, then the (long) idle sleep began after it: nothing ran since.
    expect(errors).toEqual(['database blip']);
    expect(calls).toEqual(['error']);
    loop.nudge();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual(['error', 'work', 'work', 'work', 'idle']);
    const stopped = Date.now();
    await loop.stop();
    expect(Date.now() - stopped).toBeLessThan(1000);
    expect(loop.isRunning).toBe(false);
  });
});
