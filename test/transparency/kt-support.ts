import { parseVerifierKey, type LogVerifierConfig } from '#tlog';
import { call, type TestApp } from '../support/test-app.js';

export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The log's verifier config as a client builds it from GET /kt/{org}/key. */
export async function verifierConfig(t: TestApp, org: string): Promise<LogVerifierConfig> {
  const key = await call(t.url, 'GET', `/kt/${org}/key`, { token: t.adminToken });
  const verifier = parseVerifierKey(key.text.trim());
  return { origin: verifier.name, verifiers: [verifier] };
}

export async function checkpointSize(t: TestApp, org: string): Promise<number> {
  const res = await call(t.url, 'GET', `/kt/${org}/checkpoint`, { token: t.adminToken });
  return Number(res.text.split('\n')[1]);
}

export const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
