import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { asSession, signInAdmin, startAdminFixture, toTestServer, SESSION_COOKIE, type AdminFixture } from '../support/admin-sign-in.js';
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

  /** The admin's browser: signs in at the verification URL, then approves the CLI login. */
  async function approveIn(url: string, login = 'alice') {
    const s = await signInAdmin(fx.t, 'acme', login, { start: url });
    expect(s.status).toBe(200);
    expect(s.body.cliLogin).toMatchObject({ requestedFrom: expect.any(String) });
    const approved = await asSession(fx.t, s, 'POST', `/v1/admin/cli-logins/${s.body.cliLogin.id}/approve`);
    expect(approved.status).toBe(200);
    return s;
  }

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
    const r = await login([], (url) => approveIn(url), dir);
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
    const r = await login(['--token-file', 'admin.token'], (url) => approveIn(url), dir);
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
    // Signed in but not approved yet (RFC 8628 §5.4: the person confirms it was their CLI).
    const s = await signInAdmin(fx.t, 'acme', 'alice', { start: toTestServer(fx.t, started.body.verificationUriComplete) });
    await fx.t.dataSource.query(`UPDATE admin_cli_login SET next_poll_at = NULL`);
    expect((await poll()).body.reason).toBe('cli_login_pending');
    const approvePath = `/v1/admin/cli-logins/${s.body.cliLogin.id}/approve`;
    // Not by a bearer token, not by a cross-site form (no CSRF token), then by the page's own form.
    const bearer = (await asSession(fx.t, s, 'POST', '/v1/admin/tokens')).body.token;
    const byBearer = await call(fx.t.url, 'POST', approvePath, { token: bearer });
    expect([byBearer.status, byBearer.body.reason]).toEqual([400, 'session_not_cookie']);
    const crossSite = await call(fx.t.url, 'POST', approvePath, {
      raw: '',
      headers: { cookie: s.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([crossSite.status, crossSite.body.reason]).toEqual([403, 'csrf_token_invalid']);
    const form = await call(fx.t.url, 'POST', approvePath, {
      raw: new URLSearchParams({ csrfToken: s.csrfToken! }).toString(),
      headers: { cookie: `${SESSION_COOKIE}=${s.session}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
    expect(form.status).toBe(200);
    expect(form.text).toContain('Go back to your terminal');
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
