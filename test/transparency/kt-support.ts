import { randomUUID } from 'node:crypto';
import { parseVerifierKey, parseVerifierKeys, type LogVerifierConfig } from '#tlog';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { OutboxService } from '../../apps/identity-service/src/outbox/outbox.service.js';
import { ktAppend } from '../../apps/identity-service/src/transparency/kt-event.js';
import { call, type TestApp } from '../support/test-app.js';

/** The log's verifier config as a client builds it from GET /kt/{org}/key (two keys during a rotation's overlap). */
export async function verifierConfig(t: TestApp, org: string, token = t.adminToken): Promise<LogVerifierConfig> {
  const key = await call(t.url, 'GET', `/kt/${org}/key`, { token });
  const verifiers = parseVerifierKeys(key.text).map(parseVerifierKey);
  return { origin: verifiers[0]!.name, verifiers };
}

export async function checkpointSize(t: TestApp, org: string): Promise<number> {
  const res = await call(t.url, 'GET', `/kt/${org}/checkpoint`, { token: t.adminToken });
  return Number(res.text.split('\n')[1]);
}

export const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Writes `count` key events through the outbox, as producers do (one transaction). */
export async function enqueueKtEvents(t: TestApp, orgId: string, count: number, accountId = randomUUID()): Promise<void> {
  await t.dataSource.transaction((m) =>
    t.app
      .get(OutboxService)
      .enqueue(
        m,
        ...Array.from({ length: count }, (_, i) =>
          ktAppend({ type: 'device_enrolled', orgId, accountId, deviceId: randomUUID(), reason: `n${i}`, timestamp: new Date().toISOString() }),
        ),
      ),
  );
}

/** Runs the mlsid CLI in-process; returns its exit code and output. */
export async function mlsid(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
