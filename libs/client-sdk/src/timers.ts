// Time as the SDK sees it, injectable so that tests run renewals and polling on a fake clock.
import { OperationAborted } from './errors.js';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** The platform clock. Long delays are chained, since setTimeout overflows past ~24.8 days. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const MAX = 2 ** 31 - 1;
    let handle: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      handle = setTimeout(() => (left > MAX ? arm(left - MAX) : fn()), Math.min(Math.max(0, left), MAX));
    };
    arm(ms);
    return () => clearTimeout(handle);
  },
};

export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OperationAborted('aborted'));
    const onAbort = () => {
      cancel();
      reject(new OperationAborted('aborted'));
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
