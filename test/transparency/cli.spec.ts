import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ed25519NoteSigner, signCheckpoint } from '#tlog';
import { AccountDeprovisioningService } from '../../apps/identity-service/src/accounts/account-deprovisioning.service.js';
import { KEY_STORE, type KeyStore } from '../../apps/identity-service/src/keys/key-store.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { KtLogs } from '../../apps/identity-service/src/transparency/kt-logs.service.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { checkpointSize, enqueueKtEvents, mlsid } from './kt-support.js';
import { until } from '../support/until.js';

type Tamper = (path: string, body: Buffer) => Buffer | Promise<Buffer>;

/** A man in the middle between the CLI and the service, rewriting responses on demand. */
async function startProxy(target: string): Promise<{ url: string; tamper: { fn: Tamper | null }; close(): Promise<void> }> {
  const tamper: { fn: Tamper | null } = { fn: null };
  const server = http.createServer(async (req, res) => {
    const upstream = await fetch(`${target}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
    let body: Buffer = Buffer.from(await upstream.arrayBuffer());
    if (tamper.fn && upstream.status === 200) body = Buffer.from(await tamper.fn(req.url!, body));
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tamper,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const flipLastByte = (body: Buffer) => {
  const copy = Buffer.from(body);
  copy[copy.length - 1] ^= 0x01;
  return copy;
};

describe('mlsid log verify / account', () => {
  let t: TestApp;
  let orgId: string;
  let dsToken: string;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let accountId: string;
  const args = () => ['--url', proxy.url, '--org', 'acme', '--token', dsToken, '--state', path.join(dir, 'state.json')];

  /** Appends n events and waits until every kt.append ever written is in a checkpoint. */
  const grow = async (n: number) => {
    if (n > 0) await enqueueKtEvents(t, orgId, n);
    const [{ total }] = await t.dataSource.query(`SELECT count(*)::int AS total FROM outbox WHERE topic = 'kt.append' AND org_id = $1`, [orgId]);
    await until(async () => (await checkpointSize(t, 'acme')) === total, 10000, `${total} entries`);
  };

  beforeAll(async () => {
    t = await createTestApp({ env: { KT_SEQUENCER_POLL_MS: '20', OUTBOX_POLL_MS: '20' } });
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    dsToken = (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'chat' } })).body.token;
    dir = await mkdtemp(path.join(tmpdir(), 'mlsid-cli-'));
    proxy = await startProxy(t.url);
    accountId = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
    await insertDevice(t.dataSource, orgId, accountId, 2);
    await t.dataSource.transaction((m) =>
      t.app.get(AccountDeprovisioningService).deprovision(m, { orgId, accountId, actor: 'test', mode: 'deactivate' }),
    );
    // More than one full tile, so that full and partial tiles and bundles are all exercised.
    await grow(300);
  });
  afterAll(async () => {
    await proxy.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies a log on first use, pins its key, and follows it as it grows', async () => {
    const first = await mlsid(['log', 'verify', ...args()], dir);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/^ok \S+\/kt\/acme size 303 root [A-Za-z0-9+/]+=*$/);
    expect(first.err).toMatch(/pinned log key/);
    const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
    expect(state.checkpoint.split('\n')[1]).toBe('303');
    await grow(5);
    const second = await mlsid(['log', 'verify', ...args()], dir);
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/checkpoint 308 is consistent with the last seen \(303\)/);
    expect(second.err).not.toMatch(/pinned/);
  });

  it('exits 2 when entries or tiles were tampered with, and keeps the old state', async () => {
    const stateBefore = await readFile(path.join(dir, 'state.json'), 'utf8');
    proxy.tamper.fn = (url, body) => (url.includes('/tile/entries/001') ? flipLastByte(body) : body);
    const entries = await mlsid(['log', 'verify', ...args()], dir);
    expect(entries.code).toBe(2);
    expect(entries.err).toMatch(/ERR_LOG_ENTRIES_MISMATCH/);
    await grow(3);
    // The consistency proof from the last seen size is computed from (tampered) hash tiles.
    proxy.tamper.fn = (url, body) => (/\/tile\/0\/001/.test(url) ? flipLastByte(body) : body);
    const tiles = await mlsid(['log', 'verify', ...args()], dir);
    expect(tiles.code).toBe(2);
    expect(tiles.err).toMatch(/ERR_LOG_INCONSISTENT/);
    proxy.tamper.fn = (url, body) => (url.includes('/tile/0/') ? body.subarray(0, body.length - 1) : body);
    expect((await mlsid(['log', 'verify', ...args()], dir)).code).toBe(1);
    expect(await readFile(path.join(dir, 'state.json'), 'utf8')).toBe(stateBefore);
    proxy.tamper.fn = null;
  });

  it('exits 2 on a fork: a checkpoint signed by the log key that does not extend the last seen one', async () => {
    const log = (await t.app.get(KtLogs).find(t.dataSource, orgId))!;
    const keys = t.app.get<KeyStore>(KEY_STORE);
    const signer = ed25519NoteSigner(log.origin, await t.app.get(KtLogs).publicKey(log.keyId), (m) => keys.sign(log.keyId, m));
    const forked = await signCheckpoint({ origin: log.origin, size: log.size, rootHash: new Uint8Array(randomBytes(32)), extensions: [] }, [signer]);
    proxy.tamper.fn = (url, body) => (url.endsWith('/checkpoint') ? Buffer.from(forked) : body);
    const res = await mlsid(['log', 'verify', ...args()], dir);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/not consistent/);
    proxy.tamper.fn = null;
  });

  it('exits 3 on a bad signature or a checkpoint signed by another key', async () => {
    proxy.tamper.fn = (url, body) => {
      if (!url.endsWith('/checkpoint')) return body;
      const text = body.toString('utf8');
      const at = text.lastIndexOf(' ') + 10;
      return Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
    };
    const invalid = await mlsid(['log', 'verify', ...args()], dir);
    expect(invalid.code).toBe(3);
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const other = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(Buffer.from(other.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const log = (await t.app.get(KtLogs).find(t.dataSource, orgId))!;
    const impostor = await signCheckpoint({ origin: log.origin, size: log.size, rootHash: log.rootHash, extensions: [] }, [
      ed25519NoteSigner(log.origin, raw, async (m) => new Uint8Array(sign(null, m, other.privateKey))),
    ]);
    proxy.tamper.fn = (url, body) => (url.endsWith('/checkpoint') ? Buffer.from(impostor) : body);
    const unverified = await mlsid(['log', 'verify', ...args()], dir);
    expect(unverified.code).toBe(3);
    expect(unverified.err).toMatch(/ERR_NOTE_UNVERIFIED/);
    proxy.tamper.fn = null;
  });

  it('exits 4 when the log is unreachable and 1 when the token is refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await mlsid(
      ['log', 'verify', '--url', `http://127.0.0.1:${port}`, '--org', 'acme', '--token', dsToken, '--state', path.join(dir, 'state.json')],
      dir,
    );
    expect(down.code).toBe(4);
    const refused = await mlsid(
      ['log', 'verify', '--url', proxy.url, '--org', 'acme', '--token', 'wrong', '--state', path.join(dir, 'state.json')],
      dir,
    );
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/HTTP 401/);
  });

  it('verifies an account history as complete, and exits 2 when the server hides an entry', async () => {
    const ok = await mlsid(['log', 'account', ...args(), '--account', accountId], dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/certificate_revoked device/);
    expect(ok.out).toMatch(/account_deprovisioned/);
    expect(ok.out).toMatch(new RegExp(`ok account ${accountId}: 3 entries, complete`));
    proxy.tamper.fn = (url, body) => {
      if (!url.includes('/accounts/')) return body;
      const history = JSON.parse(body.toString('utf8'));
      history.entries = history.entries.filter((e: { type: string }) => e.type !== 'certificate_revoked');
      return Buffer.from(JSON.stringify(history));
    };
    const hidden = await mlsid(['log', 'account', ...args(), '--account', accountId], dir);
    expect(hidden.code).toBe(2);
    expect(hidden.err).toMatch(/ERR_ACCOUNT_HISTORY_MISMATCH/);
    proxy.tamper.fn = null;
  });

  it('reads ./.data/dev-credentials.json when no URL is given, and runs as the built binary', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'mlsid-dev-'));
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(cwd, '.data')));
    await writeFile(
      path.join(cwd, '.data', 'dev-credentials.json'),
      JSON.stringify({ baseUrl: t.url, org: 'acme', adminToken: t.adminToken, dsToken }),
    );
    const res = await mlsid(['log', 'verify'], cwd);
    expect(res.code).toBe(0);
    expect(JSON.parse(await readFile(path.join(cwd, '.data', 'mlsid-log-acme.json'), 'utf8')).origin).toMatch(/\/kt\/acme$/);
    // The built CLI (npm run build; npm test builds first) gives the same exit code.
    const bin = path.resolve('dist/apps/mlsid/src/main.js');
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [bin, 'log', 'verify'], { cwd });
    expect(stdout).toMatch(/^ok /);
    const failed = await run(
      process.execPath,
      [bin, 'log', 'verify', '--url', 'http://127.0.0.1:1', '--org', 'acme', '--state', path.join(cwd, 's.json')],
      { cwd },
    ).catch((e: { code: number }) => e);
    expect((failed as { code: number }).code).toBe(4);
    await rm(cwd, { recursive: true, force: true });
  });
});
