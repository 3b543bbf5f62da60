import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { EXIT } from '../../apps/mlsid/src/exit-codes.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** `mlsid admin …` against a running service, authenticated with MLSID_ADMIN_TOKEN. */
describe('mlsid admin commands', () => {
  let t: TestApp;
  let org: Org;
  let cwd: string;
  let alice: string;
  let aliceDevice: string;
  const saved = process.env.MLSID_ADMIN_TOKEN;

  async function mlsid(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const at = () => ['--url', t.url, '--org', 'acme'];

  beforeAll(async () => {
    t = await createTestApp();
    org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    cwd = await mkdtemp(path.join(tmpdir(), 'mlsid-admin-'));
    alice = await insertAccount(t.dataSource, org.id, 'alice@acme.example');
    aliceDevice = (await insertDevice(t.dataSource, org.id, alice)).deviceId;
    const bob = await insertAccount(t.dataSource, org.id, 'bob@acme.example');
    for (let i = 0; i < 4; i++) await insertDevice(t.dataSource, org.id, bob);
    process.env.MLSID_ADMIN_TOKEN = t.adminToken;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.MLSID_ADMIN_TOKEN;
    else process.env.MLSID_ADMIN_TOKEN = saved;
    await rm(cwd, { recursive: true, force: true });
    await t.close();
  });

  it('searches and shows accounts', async () => {
    const found = await mlsid('admin', 'accounts', 'search', ...at(), '--q', 'ALI');
    expect(found.code).toBe(EXIT.ok);
    expect(found.out).toContain(alice);
    expect(found.out).not.toContain('bob@');
    const json = await mlsid('admin', 'accounts', 'search', ...at(), '--json', '--status', 'active');
    expect(
      JSON.parse(json.out)
        .accounts.map((a: { userName: string }) => a.userName)
        .sort(),
    ).toEqual(['alice@acme.example', 'bob@acme.example']);
    const shown = await mlsid('admin', 'accounts', 'show', alice, ...at());
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.out).toContain(aliceDevice);
    expect(shown.out).toMatch(/certificates \(1\)/);
  });

  it('lists devices page by page, or all of them', async () => {
    const first = await mlsid('admin', 'devices', 'list', ...at(), '--limit', '2');
    expect(first.code).toBe(EXIT.ok);
    const cursor = /next: --cursor (\S+)/.exec(first.out)?.[1];
    expect(cursor).toBeDefined();
    const second = await mlsid('admin', 'devices', 'list', ...at(), '--limit', '2', '--cursor', cursor!);
    expect(second.out.split('\n').filter((l) => /^[0-9a-f-]{36} /.test(l))).toHaveLength(2);
    const all = await mlsid('admin', 'devices', 'list', ...at(), '--limit', '2', '--all', '--json');
    expect(JSON.parse(all.out)).toMatchObject({ next: null });
    expect(JSON.parse(all.out).devices).toHaveLength(5);
    const shown = await mlsid('admin', 'devices', 'show', aliceDevice, ...at());
    expect(shown.out).toContain('MLS groups (0)');
  });

  it('reports a lost device, suspends and resumes an account', async () => {
    const lost = await mlsid('admin', 'lost-device', aliceDevice, ...at());
    expect([lost.code, lost.err]).toEqual([EXIT.ok, '']);
    expect(lost.out).toContain('1 certificate(s) revoked');
    const [device] = await t.dataSource.query(`SELECT status FROM device WHERE id = $1`, [aliceDevice]);
    expect(device.status).toBe('revoked');
    expect((await mlsid('admin', 'suspend', alice, ...at())).out).toContain('suspended');
    expect((await mlsid('admin', 'accounts', 'show', alice, ...at())).out).toContain('suspended');
    expect((await mlsid('admin', 'resume', alice, ...at())).out).toContain('is active');
    const again = await mlsid('admin', 'resume', alice, ...at());
    expect([again.code, again.err]).toEqual([EXIT.refused, expect.stringContaining('account_not_suspended')]);
  });

  it('prints the reports', async () => {
    const status = await mlsid('admin', 'reports', 'devices-by-status', ...at());
    expect(status.out).toContain('devices revoked: 1');
    const enrollments = await mlsid('admin', 'reports', 'enrollments', ...at(), '--days', '3', '--json');
    expect(JSON.parse(enrollments.out).total).toBe(5);
    expect((await mlsid('admin', 'reports', 'certificate-expiry', ...at(), '--bucket', 'week')).code).toBe(EXIT.ok);
    expect((await mlsid('admin', 'reports', 'overdue-removals', ...at())).out).toContain('overdue removals');
  });

  it('keeps the exit-code conventions: usage 1, refused 5, unreachable 4', async () => {
    expect((await mlsid('admin', 'lost-device', 'not-an-id', ...at())).code).toBe(EXIT.other);
    expect((await mlsid('admin', 'reports', 'everything', ...at())).code).toBe(EXIT.other);
    expect((await mlsid('admin', 'accounts', 'search', ...at(), '--bogus', 'x')).code).toBe(EXIT.other);
    const wrong = await mlsid('admin', 'devices', 'list', ...at(), '--token', 'wrong-token');
    expect(wrong.code).toBe(EXIT.refused);
    const otherOrg = await mlsid('admin', 'devices', 'list', '--url', t.url, '--org', 'globex');
    expect([otherOrg.code, otherOrg.err]).toEqual([EXIT.refused, expect.stringContaining('org_not_found')]);
    const badInput = await mlsid('admin', 'devices', 'list', ...at(), '--limit', '0');
    expect(badInput.code).toBe(EXIT.refused);
    expect((await mlsid('admin', 'devices', 'list', '--url', 'http://127.0.0.1:9', '--org', 'acme')).code).toBe(EXIT.unreachable);
    delete process.env.MLSID_ADMIN_TOKEN;
    try {
      const none = await mlsid('admin', 'devices', 'list', ...at());
      expect([none.code, none.err]).toEqual([EXIT.other, expect.stringContaining('MLSID_ADMIN_TOKEN')]);
    } finally {
      process.env.MLSID_ADMIN_TOKEN = t.adminToken;
    }
  });
});
