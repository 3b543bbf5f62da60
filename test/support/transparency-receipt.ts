import { call } from './test-app.js';

/**
 * Resolves a response's key-transparency receipt the way a client would: the index at once
 * when it is already sequenced, else by polling its lookup path. Fails unless the index
 * appears within `withinMs` (the service promises a second).
 */
export async function resolveReceipt(
  base: string,
  token: string,
  receipt: { status: string; index?: number; lookup?: string },
  type: string,
  withinMs = 1000,
): Promise<number> {
  if (receipt.status === 'sequenced' && typeof receipt.index === 'number') return receipt.index;
  if (receipt.status !== 'pending' || !receipt.lookup) throw new Error(`not a transparency receipt: ${JSON.stringify(receipt)}`);
  const started = Date.now();
  for (;;) {
    const res = await call(base, 'GET', receipt.lookup, { token });
    const entry = (res.body?.entries as { index: number; type: string }[] | undefined)?.find((e) => e.type === type);
    if (entry) return entry.index;
    if (Date.now() - started > withinMs) throw new Error(`${type} entry not in the log within ${withinMs} ms (${res.status} ${res.text})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
