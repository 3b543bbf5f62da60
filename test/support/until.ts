/**
 * Polls `probe` until it answers something other than `undefined` or `false`, and returns that
 * answer: the one way tests wait for asynchronous work (outbox, sequencer, CRL re-signing).
 * Throws after `timeoutMs`, naming what it waited for, so a hang reads as a failed expectation.
 */
export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
