import { AnonymousRefusals } from '../../apps/identity-service/src/enrollment/limits/anonymous-refusals.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { createTestDatabase } from '../support/database.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { newDeviceKey, setEnrollmentPolicy, startHarness, type Harness } from './enrollment-harness.js';

/**
 * Issue 13 §7: the anonymous enrollment routes cannot be used as a lever. Every request comes
 * from 127.0.0.1, a trusted proxy, so X-Forwarded-For stands for the client address.
 */
const LIMITS = {
  ENROLLMENT_STARTS_PER_IP_PER_MINUTE: '5',
  ENROLLMENT_STARTS_PER_ORG_PER_MINUTE: '12',
  ENROLLMENT_LOOKUPS_PER_IP_PER_MINUTE: '8',
  ENROLLMENT_CODES_PER_IP_PER_MINUTE: '3',
};

/** A start that passes the body validation and is then refused (csr_invalid): cheap to flood. */
const JUNK_START = { csr: 'A'.repeat(64), deviceName: 'bot', platform: 'linux', ciphersuite: 1, flow: 'redirect' };

const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('anonymous enrollment routes under a flood', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { env: LIMITS });
  });
  afterAll(() => h.close());

  async function newOrg(slug: string) {
    return h.t.app.get(OrgsService).create('test', slug, slug);
  }

  it('refuses a client address beyond its starts per minute with 429 and Retry-After, others still served', async () => {
    const org = await newOrg('flood-ip');
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 9; i++) {
      const res = await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from('198.51.100.1') });
      statuses.push(res.status);
      if (res.status === 429) refused ??= res;
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429]);
    expect(refused!.body.reason).toBe('enrollment_rate_limited');
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused!.body.retryAfterSeconds).toBe(retryAfter);
    // Even requests whose body would be refused count (the guard runs before validation).
    const invalid = await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: {}, headers: from('198.51.100.1') });
    expect(invalid.status).toBe(429);
    // Another address is not affected; an IPv6 client is counted per /64.
    expect((await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from('198.51.100.2') })).status).toBe(400);
    for (let i = 0; i < 5; i++) {
      await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from(`2001:db8:7:7::${i + 1}`) });
    }
    expect(
      (await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from('2001:db8:7:7:ffff::9') })).status,
    ).toBe(429);
  });

  it('counts across replicas: a second instance on the same database sees the same budget', async () => {
    const org = await newOrg('flood-replicas');
    const replica = await createTestApp({ db: h.t.db, env: LIMITS });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const url = i % 2 === 0 ? h.t.url : replica.url;
        statuses.push((await call(url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from('198.51.100.77') })).status);
      }
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
    } finally {
      await replica.close();
    }
  });

  it("refuses an org's starts beyond its budget whatever the addresses, and leaves other orgs alone", async () => {
    const org = await newOrg('flood-org');
    const other = await newOrg('quiet-org');
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const res = await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from(`203.0.113.${i + 1}`) });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 400)).toHaveLength(12);
    expect(statuses.slice(12)).toEqual([429, 429, 429]);
    const refused = await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from('203.0.113.99') });
    expect([refused.status, refused.body.reason]).toEqual([429, 'enrollment_rate_limited']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call(h.t.url, 'POST', `/v1/orgs/${other.slug}/enrollments`, { body: JUNK_START, headers: from('203.0.113.98') })).status).toBe(400);

    // The limiter's state is in PostgreSQL (shared by replicas), not in this process.
    const rows = await h.t.dataSource.query(`SELECT key, points FROM enrollment_rate_limit WHERE key = $1`, [`start-org:${org.id}`]);
    expect(rows).toEqual([{ key: `start-org:${org.id}`, points: expect.any(Number) }]);
    expect(rows[0].points).toBeGreaterThanOrEqual(16);
  });

  it('aggregates anonymous refusals: a bounded number of audit rows, and a summary with the count once the window closes', async () => {
    const org = await newOrg('flood-audit');
    for (let i = 0; i < 20; i++) {
      await call(h.t.url, 'POST', `/v1/orgs/${org.slug}/enrollments`, { body: JUNK_START, headers: from(`192.0.2.${i + 1}`) });
    }
    const rows = await h.t.dataSource.query(
      `SELECT actor, action, details->>'reason' AS reason FROM audit_event WHERE org_id = $1 AND action LIKE 'enrollment.%' ORDER BY id`,
      [org.id],
    );
    // 12 csr_invalid, then 8 enrollment_rate_limited: one row per reason, not 20.
    expect(rows).toEqual([
      { actor: 'anonymous', action: 'enrollment.refuse', reason: 'csr_invalid' },
      { actor: 'anonymous', action: 'enrollment.refuse', reason: 'enrollment_rate_limited' },
    ]);

    // The window ends (moved back rather than waited for); its summary carries the counts.
    await h.t.dataSource.query(`UPDATE enrollment_refusal_tally SET window_start = window_start - interval '1 hour' WHERE org_id = $1`, [org.id]);
    await h.t.app.get(AnonymousRefusals).summarizeClosedWindows();
    await h.t.app.get(AnonymousRefusals).summarizeClosedWindows();
    const summaries = await h.t.dataSource.query(
      `SELECT details->>'reason' AS reason, (details->>'count')::int AS count FROM audit_event
        WHERE org_id = $1 AND action = 'enrollment.refuse.summary' ORDER BY details->>'reason'`,
      [org.id],
    );
    expect(summaries).toEqual([
      { reason: 'csr_invalid', count: 12 },
      { reason: 'enrollment_rate_limited', count: 8 },
    ]);
    expect(await h.t.dataSource.query(`SELECT 1 FROM enrollment_refusal_tally WHERE org_id = $1`, [org.id])).toEqual([]);
  });

  it('caps pending redirect and device sessions per org (429 with the time until a slot frees)', async () => {
    await setEnrollmentPolicy(h, { maxPendingSessions: 3 });
    const start = async (i: number, flow: 'redirect' | 'device') => {
      const key = await newDeviceKey();
      return call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
        body: { csr: key.csrPem, deviceName: `d${i}`, platform: 'linux', ciphersuite: 1, flow },
        headers: from(`100.64.0.${i + 1}`),
      });
    };
    const started = await Promise.all([0, 1, 2, 3, 4].map((i) => start(i, i % 2 ? 'device' : 'redirect')));
    expect(started.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429]);
    const refused = started.find((r) => r.status === 429)!;
    expect(refused.body.reason).toBe('pending_enrollments_limit');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    const [{ n }] = await h.t.dataSource.query(`SELECT count(*)::int AS n FROM enrollment_session WHERE org_id = $1 AND status = 'pending'`, [
      h.org.id,
    ]);
    expect(n).toBe(3);

    // An expired session no longer takes a slot.
    await h.t.dataSource.query(
      `UPDATE enrollment_session SET expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM enrollment_session WHERE org_id = $1 LIMIT 1)`,
      [h.org.id],
    );
    expect((await start(9, 'redirect')).status).toBe(201);
  });

  it('limits activation codes typed per client address, and lookups (status, poll, callback, activation page)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${h.t.url}/v1/enrollments/activate`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...from('198.18.0.1') },
        body: `code=${String(1000000000 + i)}`,
      });
      codes.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(codes).toEqual([403, 403, 403, 429, 429]);

    const lookups: number[] = [];
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/v1/enrollments/${id}`],
      ['POST', `/v1/enrollments/${id}/poll`],
      ['GET', '/v1/enrollments/callback?state=x&code=y'],
      ['GET', '/v1/enrollments/activate'],
    ] as const) {
      for (let i = 0; i < 3; i++) lookups.push((await call(h.t.url, method, path, { headers: from('198.18.0.2') })).status);
    }
    expect(lookups.slice(0, 8).every((s) => s !== 429)).toBe(true);
    expect(lookups.slice(8)).toEqual([429, 429, 429, 429]);
  });
});

describe('rate limiter store unreachable', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let dropDb: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    dropDb = db.drop;
    proxy = await startTcpProxy(db.url);
    t = await createTestApp({ db: { url: proxy.url, drop: async () => {} }, env: LIMITS });
    await t.app.get(OrgsService).create('test', 'acme', 'Acme');
  });
  afterAll(async () => {
    await t.close();
    await dropDb();
  });

  it('answers 503 database_unavailable with Retry-After (not 500) for enrollment starts and webhook replays', async () => {
    const created = await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', {
      token: t.adminToken,
      body: { name: 'chat-app', webhookUrl: 'https://ds.example.test/hook' },
    });
    expect(created.status).toBe(201);
    expect((await call(t.url, 'POST', '/v1/orgs/acme/enrollments', { body: JUNK_START })).status).toBe(400);

    await proxy.cut();
    const start = await call(t.url, 'POST', '/v1/orgs/acme/enrollments', { body: JUNK_START });
    expect([start.status, start.body.reason]).toEqual([503, 'database_unavailable']);
    expect(start.headers.get('retry-after')).toBe('5');
    expect(start.text).not.toMatch(/127\.0\.0\.1|postgres:\/\//);
    const lookup = await call(t.url, 'GET', '/v1/enrollments/activate');
    expect([lookup.status, lookup.body?.reason]).toEqual([503, 'database_unavailable']);
    const replay = await call(t.url, 'POST', '/v1/ds/webhooks/deliveries/msg_x/replay', { token: created.body.token });
    expect([replay.status, replay.body.reason]).toEqual([503, 'database_unavailable']);
  });
});
