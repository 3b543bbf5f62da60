import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { KT_LOG_CHANNEL } from '../../apps/identity-service/src/transparency/kt-read-cache.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { listenerReconnected, terminateListener } from '../support/pg-listener.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { checkpointSize, enqueueKtEvents } from './kt-support.js';

/**
 * Checkpoints and tiles are served from memory with validators: a revalidation costs a 304,
 * full tiles are immutable, and a new checkpoint signed on one replica is what every replica
 * serves as soon as it commits.
 */
describe('key-transparency reads from memory, with validators', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let orgId: string;
  let auditor: string;

  const get = (t: TestApp, path: string, headers: Record<string, string> = {}, token: string | null = auditor) =>
    call(t.url, 'GET', `/kt/acme${path}`, { token: token ?? undefined, headers });

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await createTestApp({ db, env: { KT_SEQUENCER_POLL_MS: '50' } });
    // b only reads: its sequencer is off, so every checkpoint it serves was signed on a.
    process.env.KT_SEQUENCER = 'off';
    try {
      b = await createTestApp({ db });
    } finally {
      delete process.env.KT_SEQUENCER;
    }
    orgId = (await a.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    auditor = (await call(a.url, 'POST', '/v1/admin/orgs/acme/auditor-tokens', { token: a.adminToken, body: {} })).body.token;
    await enqueueKtEvents(a, orgId, 300);
    await until(async () => (await checkpointSize(a, 'acme')) >= 300, 20_000, 'the log to reach 300 entries');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  it('answers If-None-Match on the checkpoint with 304, and only to an authenticated caller', async () => {
    const first = await get(b, '/checkpoint');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await get(b, '/checkpoint', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await get(b, '/checkpoint', { 'if-none-match': `W/${etag}, "other"` })).status).toBe(304);
    expect((await get(b, '/checkpoint', { 'if-none-match': '"other"' })).status).toBe(200);
    // The validator is no credential.
    expect((await get(b, '/checkpoint', { 'if-none-match': etag }, null)).status).toBe(401);
    expect((await get(b, '/checkpoint', { 'if-none-match': etag }, 'mlsid_auditor_wrong')).status).toBe(401);
  });

  it('serves full tiles as immutable with a strong validator, partial ones short-lived', async () => {
    const full = await get(b, '/tile/0/000');
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(full.headers.get('content-type')).toBe('application/octet-stream');
    const etag = full.headers.get('etag')!;
    expect((await get(b, '/tile/0/000', { 'if-none-match': etag })).status).toBe(304);
    const size = await checkpointSize(b, 'acme');
    const partial = await get(b, `/tile/0/001.p/${size - 256}`);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('cache-control')).toBe('public, max-age=5');
    // The same bytes from the replica that built them.
    expect(
      Buffer.from((await fetch(`${a.url}/kt/acme/tile/0/000`, { headers: { authorization: `Bearer ${auditor}` } })).headers.get('etag')!),
    ).toEqual(Buffer.from(etag));
  });

  it('serves a checkpoint signed on another replica as soon as it commits', async () => {
    const before = await get(b, '/checkpoint');
    const size = Number(before.text.split('\n')[1]);
    await enqueueKtEvents(a, orgId, 5);
    await until(async () => (await checkpointSize(a, 'acme')) >= size + 5, 20_000, 'replica a to sequence the new events');
    // b cached the old checkpoint; the trigger's NOTIFY reaches it within moments, not a TTL.
    await until(async () => Number((await get(b, '/checkpoint')).text.split('\n')[1]) >= size + 5, 2000, 'replica b to serve the new checkpoint');
    const stale = await get(b, '/checkpoint', { 'if-none-match': before.headers.get('etag')! });
    expect(stale.status).toBe(200);
    // A partial tile that grew is served anew, too.
    const grown = await get(b, `/tile/0/001.p/${size + 5 - 256}`);
    expect(grown.status).toBe(200);
  });

  it('serves nothing stale while its listener is down', async () => {
    expect((await get(b, '/checkpoint')).status).toBe(200);
    const size = await checkpointSize(b, 'acme');
    const killed = await terminateListener(b.dataSource, KT_LOG_CHANNEL);
    await enqueueKtEvents(a, orgId, 3);
    await until(async () => (await checkpointSize(a, 'acme')) >= size + 3, 20_000, 'replica a to sequence the new events');
    await until(async () => (await checkpointSize(b, 'acme')) >= size + 3, 2000, 'replica b to serve the new checkpoint without its listener');
    await listenerReconnected(b.dataSource, KT_LOG_CHANNEL, killed, 10_000);
  });
});
