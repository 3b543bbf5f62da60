import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../apps/identity-service/src/database/embedded-postgres.js';
import { createTestDatabase } from '../support/database.js';
import { startService, waitReady } from '../support/service-process.js';
import { call } from '../support/test-app.js';
import { signInHeadless } from '../support/test-idp.js';

const KEK = Buffer.alloc(32, 1).toString('base64');
const ADMIN = 'x'.repeat(40);

describe('the service process', () => {
  it('exits non-zero with one clear line when KEK is missing in production', async () => {
    const p = startService({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', ADMIN_TOKEN: ADMIN });
    const { code } = await p.exited;
    expect(code).toBe(1);
    expect(p.output().trim()).toBe('mls-identity: configuration error: KEK is required in production (NODE_ENV=production)');
  });

  it('exits non-zero with a clear message, no stack and no password, on an unreachable DATABASE_URL', async () => {
    const port = await freePort();
    const p = startService({
      NODE_ENV: 'production',
      DATABASE_URL: `postgres://svc:hunter2secret@127.0.0.1:${port}/idp`,
      KEK,
      ADMIN_TOKEN: ADMIN,
    });
    const { code } = await p.exited;
    expect(code).toBe(1);
    const out = p.output().trim();
    expect(out).toBe(`mls-identity: cannot connect to the database at 127.0.0.1:${port}/idp: ECONNREFUSED`);
    expect(out).not.toContain('hunter2secret');
  });

  it('rejects a malformed DATABASE_URL', async () => {
    const p = startService({ NODE_ENV: 'production', DATABASE_URL: 'mysql://x', KEK, ADMIN_TOKEN: ADMIN });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(/^mls-identity: configuration error: DATABASE_URL must use the postgres:\/\/ scheme/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });

  it('dev mode: starts on the embedded database with a demo org, keeps data across restarts, survives kill -9', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mlsid-dev-'));
    await chmod(dataDir, 0o755);
    try {
      const port = await freePort();
      const env = { DATA_DIR: dataDir, PORT: String(port), DEV_IDP_PORT: String(await freePort()) };
      const base = `http://127.0.0.1:${port}`;

      const first = startService(env);
      // a first start runs initdb and every migration: on a loaded 2-core CI machine, well over 15 s
      expect(await waitReady(base, 30000)).toBeLessThan(30000);
      // The dev credentials appear once the demo org is seeded.
      let creds: Record<string, any> = {};
      for (let i = 0; i < 100 && !creds.dsToken; i++) {
        await new Promise((r) => setTimeout(r, 100));
        creds = JSON.parse(await readFile(path.join(dataDir, 'dev-credentials.json'), 'utf8').catch(() => '{}'));
      }
      expect(Object.keys(creds).sort()).toEqual(['adminToken', 'baseUrl', 'dsToken', 'idp', 'org', 'scimToken']);
      expect(creds.idp.users).toEqual(['alice', 'bob', 'carol', 'admin']);
      expect(first.output()).toContain('DEV mode');
      expect(first.output()).toContain(creds.scimToken);
      const discovery = (await fetch(`${creds.idp.issuer}/.well-known/openid-configuration`).then((r) => r.json())) as { issuer: string };
      expect(discovery.issuer).toBe(creds.idp.issuer);
      // The DEV IdP's admin signs in to the demo org as its org-admin.
      const signIn = await fetch(`${creds.baseUrl}/v1/admin/orgs/demo/sign-in`, { redirect: 'manual' });
      const browser = signIn.headers
        .getSetCookie()
        .find((c) => c.startsWith('__Host-mlsid-admin-sign-in='))!
        .split(';')[0];
      const { redirectedTo } = await signInHeadless(signIn.headers.get('location')!, { login: 'admin' });
      const signedIn = await call(new URL(redirectedTo!).origin, 'GET', new URL(redirectedTo!).pathname + new URL(redirectedTo!).search, {
        headers: { cookie: browser },
      });
      expect([signedIn.status, signedIn.body?.roles, signedIn.body?.actor]).toEqual([200, ['org-admin'], 'admin:admin@demo.example']);
      const made = await call(base, 'POST', '/v1/admin/orgs', { token: creds.adminToken, body: { slug: 'kept', name: 'Kept' } });
      expect(made.status).toBe(201);

      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);

      const second = startService(env);
      await waitReady(base, 30000);
      const orgs = await call(base, 'GET', '/v1/admin/orgs', { token: creds.adminToken });
      expect(orgs.body.orgs.map((o: { slug: string }) => o.slug).sort()).toEqual(['demo', 'kept']);
      second.child.kill('SIGKILL');
      await second.exited;

      const third = startService(env);
      await waitReady(base, 30000);
      const again = await call(base, 'GET', '/v1/admin/orgs/kept', { token: creds.adminToken });
      expect(again.status).toBe(200);
      // Tokens from the first run still work: nothing was re-seeded behind the scripts' back.
      const after = JSON.parse(await readFile(path.join(dataDir, 'dev-credentials.json'), 'utf8'));
      expect(after.scimToken).toBe(creds.scimToken);
      third.child.kill('SIGTERM');
      expect((await third.exited).code).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150000);

  it('SIGTERM with DS long polls and keep-alive connections open: polls answer at once, exit 0 in the grace period', async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const p = startService({ NODE_ENV: 'production', DATABASE_URL: db.url, KEK, ADMIN_TOKEN: ADMIN, PORT: String(port) });
    try {
      await waitReady(base, 15000);
      expect((await call(base, 'POST', '/v1/admin/orgs', { token: ADMIN, body: { slug: 'drain', name: 'Drain' } })).status).toBe(201);
      const ds = await call(base, 'POST', '/v1/admin/orgs/drain/ds-clients', { token: ADMIN, body: { name: 'ds' } });
      expect(ds.status).toBe(201);

      // An idle keep-alive connection: a rolling deploy's load balancer holds some open.
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) =>
        http.get(`${base}/health/ready`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject),
      );

      const polls = [1, 2, 3].map(async () => {
        const res = await fetch(`${base}/v1/ds/removals?wait=60`, { headers: { authorization: `Bearer ${ds.body.token}` } });
        return { status: res.status, body: (await res.json()) as { removals: unknown[]; cursor: string }, at: Date.now() };
      });
      await new Promise((r) => setTimeout(r, 500)); // the polls are parked on the feed's waiters

      const signalled = Date.now();
      p.child.kill('SIGTERM');
      const answers = await Promise.all(polls);
      for (const a of answers) {
        // A normal long-poll timeout answer: the DS client simply polls again (another replica).
        expect(a.status).toBe(200);
        expect(a.body).toEqual({ removals: [], cursor: '0' });
        expect(a.at - signalled).toBeLessThan(2000);
      }
      let late: NodeJS.Timeout | undefined;
      const exited = await Promise.race([p.exited, new Promise<'late'>((r) => (late = setTimeout(() => r('late'), 5000)))]);
      clearTimeout(late);
      expect(exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(5000);
      expect(p.output()).not.toContain('drain took too long');
      agent.destroy();
    } finally {
      p.child.kill('SIGKILL');
      await p.exited;
      await db.drop();
    }
  }, 60000);
});
