import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { signInAdmin, startAdminFixture, toTestServer, type AdminFixture } from '../support/admin-sign-in.js';
import { call } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * `mlsid admin login`: the CLI shows a code and a page, the admin signs in there in a browser
 * (the IdP, the org's role mapping), and the CLI's poll collects a bearer token of that admin.
 */
describe('mlsid admin login (device flow)', () => {
  let fx: AdminFixture;

  beforeAll(async () => {
    fx = await startAdminFixture('okta', {
      users: { alice: { email: 'alice@acme.example', groups: ['IT Admins'] }, nora: { email: 'nora@acme.example', groups: [] } },
      orgs: [{ slug: 'acme', map: { 'IT Admins': 'org-admin' } }],
    });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
  });

  /** Runs the CLI; `browser` gets the verification URL it printed and signs in there. */
  async function login(argv: string[], browser: (url: string) => Promise<unknown>, cwd: string) {
    const out: string[] = [];
    const err: string[] = [];
    const running = runCli(['admin', 'login', '--org', 'acme', '--url', fx.t.url, ...argv], {
      cwd,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    const url = await until(async () => err.map((l) => /\(or open (\S+)\)/.exec(l)?.[1]).find(Boolean), 15_000, 'the verification URL');
    await browser(toTestServer(fx.t, url));
    return { code: await running, out, err };
  }

  it('prints export MLSID_ADMIN_TOKEN=… for the admin who signed in in the browser', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlsid-admin-'));
    let page: Awaited<ReturnType<typeof signInAdmin>> | undefined;
    const r = await login([], async (url) => (page = await signInAdmin(fx.t, 'acme', 'alice', { start: url })), dir);
    expect(page?.status).toBe(200);
    expect(r.code).toBe(0);
    const line = r.out.find((l) => l.startsWith('export MLSID_ADMIN_TOKEN='))!;
    const token = line.slice('export MLSID_ADMIN_TOKEN='.length);
    const who = await call(fx.t.url, 'GET', '/v1/admin/session', { token });
    expect(who.body).toMatchObject({ actor: 'admin:alice@acme.example', via: 'bearer', roles: ['org-admin'], org: 'acme' });
    const [issued] = await fx.t.dataSource.query(`SELECT actor, details FROM audit_event WHERE action = 'admin.token_issued'`);
    expect(issued).toMatchObject({ actor: 'admin:alice@acme.example', details: expect.objectContaining({ via: 'cli-login' }) });
  }, 60_000);

  it('writes the token to --token-file, readable by its owner only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlsid-admin-'));
    const r = await login(['--token-file', 'admin.token'], (url) => signInAdmin(fx.t, 'acme', 'alice', { start: url }), dir);
    expect(r.code).toBe(0);
    const file = path.join(dir, 'admin.token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const token = (await readFile(file, 'utf8')).trim();
    expect((await call(fx.t.url, 'GET', '/v1/admin/orgs/acme', { token })).status).toBe(200);
    expect(r.out).toEqual([]);
  }, 60_000);

  it('answers pending, slow_down, the token once, then expired; a person with no role approves nothing', async () => {
    const started = await call(fx.t.url, 'POST', '/v1/admin/orgs/acme/cli-logins');
    expect(started.status).toBe(201);
    const poll = () => call(fx.t.url, 'POST', '/v1/admin/cli-logins/token', { body: { deviceCode: started.body.deviceCode } });
    expect((await poll()).body.reason).toBe('cli_login_pending');
    expect((await poll()).body.reason).toBe('cli_login_slow_down');
    const refused = await signInAdmin(fx.t, 'acme', 'nora', { start: toTestServer(fx.t, started.body.verificationUriComplete) });
    expect([refused.status, refused.body.reason]).toEqual([403, 'admin_role_not_mapped']);
    await fx.t.dataSource.query(`UPDATE admin_cli_login SET next_poll_at = NULL`);
    expect((await poll()).body.reason).toBe('cli_login_pending');
    await signInAdmin(fx.t, 'acme', 'alice', { start: toTestServer(fx.t, started.body.verificationUriComplete) });
    await fx.t.dataSource.query(`UPDATE admin_cli_login SET next_poll_at = NULL`);
    const issued = await poll();
    expect(issued.status).toBe(200);
    expect(issued.body.token).toMatch(/^mlsid_adm_/);
    await fx.t.dataSource.query(`UPDATE admin_cli_login SET next_poll_at = NULL`);
    const again = await poll();
    expect([again.status, again.body.reason]).toEqual([410, 'cli_login_expired']);
    // The code was spent by the sign-in: it starts no other.
    const reused = await call(fx.t.url, 'GET', `/v1/admin/cli-login?code=${started.body.userCode}`);
    expect([reused.status, reused.body.reason]).toEqual([404, 'cli_login_code_invalid']);
  }, 60_000);
});
