import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditEntryHash, type AuditChainEntry } from '#protocol';
import { runCli } from '../../apps/mlsid/src/cli.js';
import { AuditorTokensService } from '../../apps/identity-service/src/orgs/auditor-tokens.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { AuditAnchors } from '../../apps/identity-service/src/transparency/audit-anchors.service.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/**
 * The tamper-evident audit log (issue 15): every entry carries who, in which role, from where,
 * in which request; each org's entries are hash-chained and anchored in its KT log; the API and
 * `mlsid audit verify` find an edited, deleted or reordered entry, and a rewritten or cut chain
 * by its anchors.
 */
describe('audit log: context, query, export and the tamper-evident chain', () => {
  let t: TestApp;
  let cwd: string;
  const admin = () => t.adminToken;
  const auditorTokens = new Map<string, string>();

  async function mlsid(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  }

  /** An org with an auditor token and `actions` audited admin actions (SCIM tokens created). */
  /**
   * An org with `actions` audited changes after its creation and its auditor token, made through
   * the services as the break-glass admin, through the services: over HTTP each break-glass ADMIN_TOKEN use is an
   * audit entry too, which would interleave with the sequence numbers these tests name.
   */
  async function orgWithActivity(slug: string, actions = 3): Promise<string> {
    const org = await t.app.get(OrgsService).create('admin:bootstrap', slug, slug);
    auditorTokens.set(slug, (await t.app.get(AuditorTokensService).create('admin:bootstrap', org, 'audit')).token);
    for (let i = 0; i < actions; i++) await t.app.get(CredentialsService).createScimToken('admin:bootstrap', org, `idp ${i}`);
    return org.id;
  }

  const verify = async (slug: string) => {
    const res = await call(t.url, 'GET', `/v1/admin/orgs/${slug}/audit/verify`, { token: auditorTokens.get(slug)! });
    expect(res.status).toBe(200);
    return res.body;
  };

  /** Anchors the head now and waits until the anchor is in a signed checkpoint. */
  async function anchored(slug: string): Promise<{ seq: string; hash: string }> {
    const res = await call(t.url, 'POST', `/v1/admin/orgs/${slug}/audit/anchor`, { token: auditorTokens.get(slug)! });
    expect(res.status).toBe(202);
    expect(res.body.anchored).not.toBeNull();
    const target = res.body.anchored as { seq: string; hash: string };
    await until(async () => (await verify(slug)).lastAnchoredSeq === target.seq, 15_000, `the anchor of ${slug} in its log`);
    return target;
  }

  const exportOf = async (slug: string, query = '') => {
    const res = await fetch(`${t.url}/v1/admin/orgs/${slug}/audit-events/export${query}`, {
      headers: { authorization: `Bearer ${auditorTokens.get(slug)}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    return res.text();
  };

  const verifyFile = async (slug: string, text: string, extra: string[] = []) => {
    const file = path.join(cwd, `${slug}-${randomUUID()}.jsonl`);
    await writeFile(file, text);
    return mlsid(['audit', 'verify', '--file', file, ...extra]);
  };
  const withLog = (slug: string) => [
    '--url',
    t.url,
    '--org',
    slug,
    '--token',
    auditorTokens.get(slug)!,
    '--state',
    path.join(cwd, `${slug}-state.json`),
  ];

  beforeAll(async () => {
    t = await createTestApp();
    cwd = await mkdtemp(path.join(tmpdir(), 'mlsid-audit-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('records actor, roles, how the admin signed in, source IP, request id, target and a before/after summary', async () => {
    await orgWithActivity('ctx', 0);
    const requestId = `req-${randomUUID()}`;
    const patched = await call(t.url, 'PATCH', '/v1/admin/orgs/ctx/settings', {
      token: admin(),
      body: { settings: { certificates: { lifetimeDays: 3 } } },
      headers: { 'x-request-id': requestId },
    });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('x-request-id')).toBe(requestId);
    const page = await call(t.url, 'GET', '/v1/admin/orgs/ctx/audit-events?action=org.settings.update', { token: auditorTokens.get('ctx')! });
    expect(page.status).toBe(200);
    expect(page.body.auditEvents).toHaveLength(1);
    const [e] = page.body.auditEvents;
    expect(e).toMatchObject({
      actor: 'admin:bootstrap',
      actorRoles: ['platform-admin'],
      actorVia: 'break-glass',
      requestId,
      action: 'org.settings.update',
      targetType: 'org',
    });
    expect(e.sourceIp).toMatch(/127\.0\.0\.1/);
    expect(e.before.settings?.certificates?.lifetimeDays).not.toBe(3);
    expect(e.after.settings.certificates.lifetimeDays).toBe(3);
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);

    // A request without an id gets one, and the entry carries the one the response names.
    const other = await call(t.url, 'POST', '/v1/admin/orgs/ctx/scim-tokens', { token: admin(), body: { description: 'x' } });
    const generated = other.headers.get('x-request-id');
    expect(generated).toBeTruthy();
    const created = await call(t.url, 'GET', `/v1/admin/orgs/ctx/audit-events?target=scim_token:${other.body.id}`, { token: admin() });
    expect(created.body.auditEvents.map((x: { requestId: string }) => x.requestId)).toEqual([generated]);
  });

  it('a SCIM caller is recorded with its kind as its role', async () => {
    await orgWithActivity('scimctx', 0);
    const scim = await call(t.url, 'POST', '/v1/admin/orgs/scimctx/scim-tokens', { token: admin(), body: { description: 'okta' } });
    const user = await call(t.url, 'POST', '/scim/v2/scimctx/Users', {
      token: scim.body.token,
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'amy@scimctx.example', active: true },
      headers: { 'content-type': 'application/scim+json' },
    });
    expect(user.status).toBe(201);
    const page = await call(t.url, 'GET', '/v1/admin/orgs/scimctx/audit-events?action=scim.*', { token: admin() });
    expect(page.body.auditEvents[0]).toMatchObject({
      actor: `scim-token:${scim.body.id}`,
      actorRoles: ['scim'],
      actorVia: null,
      targetType: 'account',
    });
  });

  it('keeps no token or secret in any audit entry when SCIM tokens, DS clients and auditor tokens are created', async () => {
    await orgWithActivity('secrets', 0);
    const scim = await call(t.url, 'POST', '/v1/admin/orgs/secrets/scim-tokens', { token: admin(), body: { description: 'okta' } });
    const ds = await call(t.url, 'POST', '/v1/admin/orgs/secrets/ds-clients', {
      token: admin(),
      body: { name: 'chat', webhookUrl: 'https://chat.example.com/h' },
    });
    const auditor = await call(t.url, 'POST', '/v1/admin/orgs/secrets/auditor-tokens', { token: admin(), body: {} });
    const idp = await call(t.url, 'POST', '/v1/admin/orgs/secrets/idp-connections', {
      token: admin(),
      body: { name: 'okta', kind: 'okta', issuer: 'https://idp.example.com', clientId: 'cid', clientSecret: 'very-secret-client-secret-value' },
    });
    expect([scim.status, ds.status, auditor.status, idp.status]).toEqual([201, 201, 201, 201]);
    const rows: { j: string }[] = await t.dataSource.query(`SELECT row_to_json(a)::text AS j FROM audit_event a`);
    const dump = rows.map((r) => r.j).join('\n');
    expect(dump).toContain(`ds_client:${ds.body.id}`);
    for (const secret of [scim.body.token, ds.body.token, ds.body.webhookSecret, auditor.body.token, 'very-secret-client-secret-value', t.adminToken])
      expect(dump).not.toContain(secret);
    expect(await exportOf('secrets')).not.toContain(ds.body.webhookSecret);
  });

  it('filters by actor, action, target and time, and pages with an opaque cursor', async () => {
    await orgWithActivity('pages', 5);
    const token = auditorTokens.get('pages')!;
    const q = (s: string) => call(t.url, 'GET', `/v1/admin/orgs/pages/audit-events${s}`, { token });
    const all = (await q('?limit=1000')).body.auditEvents as { seq: string; action: string; createdAt: string; target: string }[];
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => String(i + 1)));
    expect(all.filter((e) => e.action === 'scim_token.create')).toHaveLength(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await q(`?action=scim_token.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.auditEvents.map((e: { seq: string }) => e.seq));
      cursor = res.body.cursor;
      if (cursor) expect(cursor).not.toMatch(/^\d+$/);
    } while (cursor);
    expect(seen).toEqual(all.filter((e) => e.action === 'scim_token.create').map((e) => e.seq));

    // Older clients pass `next` back as `after` (or as `cursor`), and an event id as `after` still works.
    const first = await q('?limit=2');
    for (const param of ['after', 'cursor']) {
      const second = await q(`?limit=2&${param}=${first.body.next}`);
      expect(second.body.auditEvents.map((e: { seq: string }) => e.seq)).toEqual(['3', '4']);
    }
    const byId = await q(`?limit=1&after=${first.body.auditEvents[1].id}`);
    expect(byId.body.auditEvents.map((e: { seq: string }) => e.seq)).toEqual(['3']);
    expect((await q(`?after=${encodeURIComponent('not a cursor!')}`)).status).toBe(400);
    expect((await q('?action=scim_token.*')).body.auditEvents).toHaveLength(5);
    expect((await q(`?actor=${encodeURIComponent('admin:bootstrap')}`)).body.auditEvents.length).toBe(all.length);
    expect((await q('?actor=nobody')).body.auditEvents).toHaveLength(0);
    expect((await q('?target=scim_token')).body.auditEvents).toHaveLength(5);
    expect((await q(`?target=${encodeURIComponent(all[2]!.target)}`)).body.auditEvents.map((e: { seq: string }) => e.seq)).toEqual(['3']);
    const third = all[2]!.createdAt;
    const later = (await q(`?since=${encodeURIComponent(third)}`)).body.auditEvents as { createdAt: string }[];
    expect(later.every((e) => e.createdAt >= third)).toBe(true);
    const earlier = (await q(`?until=${encodeURIComponent(third)}`)).body.auditEvents as { createdAt: string }[];
    expect(earlier.every((e) => e.createdAt < third)).toBe(true);
    expect(later.length + earlier.length).toBe(all.length);
    // The export takes the same filters.
    expect((await exportOf('pages', '?action=scim_token.create')).trim().split('\n')).toHaveLength(5);

    const badCursor = await q('?cursor=bm90LWEtY3Vyc29y');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.reason).toBe('audit_cursor_invalid');
    const badRange = await q(`?since=${encodeURIComponent('2030-01-02T00:00:00Z')}&until=${encodeURIComponent('2030-01-01T00:00:00Z')}`);
    expect(badRange.status).toBe(400);
    expect(badRange.body.reason).toBe('audit_time_range_invalid');
    expect((await q('?since=yesterday')).status).toBe(400);
    expect((await q('?action=DROP%20TABLE')).status).toBe(400);
  });

  it('auditor tokens read, export and verify their own org only', async () => {
    await orgWithActivity('auda', 1);
    await orgWithActivity('audb', 1);
    const a = auditorTokens.get('auda')!;
    for (const p of ['audit-events', 'audit-events/export', 'audit/verify']) {
      expect((await call(t.url, 'GET', `/v1/admin/orgs/auda/${p}`, { token: a })).status).toBe(200);
      expect((await call(t.url, 'GET', `/v1/admin/orgs/audb/${p}`, { token: a })).status).toBe(401);
      expect((await call(t.url, 'GET', `/v1/admin/orgs/auda/${p}`)).status).toBe(401);
    }
    expect((await call(t.url, 'POST', '/v1/admin/orgs/audb/audit/anchor', { token: a })).status).toBe(401);
    // An auditor token configures nothing.
    expect((await call(t.url, 'POST', '/v1/admin/orgs/auda/scim-tokens', { token: a, body: {} })).status).toBe(401);
  });

  it('verifies normal activity, anchors it in the KT log, and round-trips the export through mlsid audit verify', async () => {
    await orgWithActivity('normal', 4);
    expect(await verify('normal')).toMatchObject({ ok: true, entries: 6, headSeq: '6', checked: 6, brokenAt: null });
    const anchor = await anchored('normal');
    expect(anchor.seq).toBe('6');
    // Nothing new: no second anchor.
    expect((await call(t.url, 'POST', '/v1/admin/orgs/normal/audit/anchor', { token: auditorTokens.get('normal')! })).body.anchored).toBeNull();
    await t.app.get(CredentialsService).createScimToken('admin:bootstrap', await t.app.get(OrgsService).requireBySlug('normal'), '');
    expect(await verify('normal')).toMatchObject({ ok: true, entries: 7, anchorsInLog: 1, lastAnchoredSeq: '6' });

    const text = await exportOf('normal');
    const run = await verifyFile('normal', text, withLog('normal'));
    expect(run.err.join('\n')).not.toMatch(/broken/);
    expect(run.code).toBe(0);
    expect(run.out.join('\n')).toMatch(/ok audit chain .*7 entries.*1 KT log anchors checked \(last anchored sequence 6\)/);
    // Straight from the API as well.
    expect((await mlsid(['audit', 'verify', ...withLog('normal')])).code).toBe(0);
    // And `audit export` writes the same lines.
    expect((await mlsid(['audit', 'export', ...withLog('normal').slice(0, 6), '--out', 'normal-export.jsonl'])).code).toBe(0);
    expect(await readFile(path.join(cwd, 'normal-export.jsonl'), 'utf8')).toBe(text);

    // A reordered export is caught by the chain alone.
    const lines = text.trim().split('\n');
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    const reordered = await verifyFile('normal', lines.join('\n'), ['--no-anchors']);
    expect(reordered.code).toBe(7);
    expect(reordered.err.join('\n')).toMatch(/sequence 3 \(reordered\): sequence 3 comes after sequence 4/);
  });

  it('detects a row edited by SQL, in the API and in mlsid', async () => {
    const orgId = await orgWithActivity('edited', 4);
    const before = await exportOf('edited');
    // A malicious DBA changes who acted.
    await t.dataSource.query(`UPDATE audit_event SET actor = 'admin:someone-else' WHERE org_id = $1 AND seq = 3`, [orgId]);
    expect(await verify('edited')).toMatchObject({ ok: false, seq: '3', reason: 'edited' });
    const run = await verifyFile('edited', await exportOf('edited'), ['--no-anchors']);
    expect(run.code).toBe(7);
    expect(run.err.join('\n')).toMatch(/sequence 3 \(edited\)/);
    // The untouched export still verifies: the check is of the content, not of the database.
    expect((await verifyFile('edited', before, ['--no-anchors'])).code).toBe(0);
    await t.dataSource.query(`UPDATE audit_event SET details = details || '{"x":1}' WHERE org_id = $1 AND seq = 5`, [orgId]);
    await t.dataSource.query(`UPDATE audit_event SET actor = 'admin:bootstrap' WHERE org_id = $1 AND seq = 3`, [orgId]);
    expect(await verify('edited')).toMatchObject({ ok: false, seq: '5', reason: 'edited' });
  });

  it('detects a deleted row', async () => {
    const orgId = await orgWithActivity('deleted', 4);
    await t.dataSource.query(`DELETE FROM audit_event WHERE org_id = $1 AND seq = 4`, [orgId]);
    expect(await verify('deleted')).toMatchObject({
      ok: false,
      seq: '4',
      reason: 'deleted',
      brokenAt: '4',
      problem: expect.stringMatching(/missing/),
    });
    const run = await verifyFile('deleted', await exportOf('deleted'), ['--no-anchors']);
    expect(run.code).toBe(7);
    expect(run.err.join('\n')).toMatch(/sequence 4 \(deleted\)/);
  });

  it('detects a deleted tail by the chain head row before any anchor is in the log', async () => {
    const orgId = await orgWithActivity('cut', 4);
    await t.dataSource.query(`DELETE FROM audit_event WHERE org_id = $1 AND seq > 4`, [orgId]);
    const verdict = await verify('cut');
    expect(verdict).toMatchObject({ ok: false, seq: '5', reason: 'deleted', anchorsInLog: 0 });
    expect(verdict.detail).toMatch(/chain head row anchors sequence 6/);
  });

  it('detects a deleted tail by the KT log anchor, even when the head row is rewound too', async () => {
    const orgId = await orgWithActivity('tail', 4);
    const anchor = await anchored('tail');
    expect(anchor.seq).toBe('6');
    // The DBA cuts the last two entries and rewinds the head row to match.
    await t.dataSource.query(`DELETE FROM audit_event WHERE org_id = $1 AND seq > 4`, [orgId]);
    await t.dataSource.query(
      `UPDATE audit_chain_head SET seq = 4, hash = (SELECT hash FROM audit_event WHERE org_id = $1 AND seq = 4) WHERE chain_id = $1`,
      [orgId],
    );
    const verdict = await verify('tail');
    expect(verdict).toMatchObject({ ok: false, seq: '5', reason: 'deleted' });
    expect(verdict.detail).toMatch(/KT log .*anchors sequence 6/);
    // The export alone is a consistent chain of 4; the log says there were 6.
    const text = await exportOf('tail');
    expect((await verifyFile('tail', text, ['--no-anchors'])).code).toBe(0);
    const run = await verifyFile('tail', text, withLog('tail'));
    expect(run.code).toBe(7);
    expect(run.err.join('\n')).toMatch(/sequence 5 \(deleted\).*anchors sequence 6/);
  });

  it('detects a chain rewritten with recomputed hashes by the anchor', async () => {
    const orgId = await orgWithActivity('rewrite', 4);
    await anchored('rewrite');
    // The DBA edits entry 2 and recomputes every hash after it, and the head: the chain is consistent again.
    const entries = (await exportOf('rewrite'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditChainEntry & { id: string });
    entries[1]!.actor = 'admin:someone-else';
    for (let i = 1; i < entries.length; i++) {
      entries[i]!.prevHash = entries[i - 1]!.hash;
      entries[i]!.hash = auditEntryHash(entries[i]!, sha256);
      await t.dataSource.query(`UPDATE audit_event SET actor = $2, prev_hash = $3, hash = $4 WHERE id = $1`, [
        entries[i]!.id,
        entries[i]!.actor,
        Buffer.from(entries[i]!.prevHash, 'hex'),
        Buffer.from(entries[i]!.hash, 'hex'),
      ]);
    }
    await t.dataSource.query(`UPDATE audit_chain_head SET hash = $2 WHERE chain_id = $1`, [orgId, Buffer.from(entries.at(-1)!.hash, 'hex')]);
    expect((await verifyFile('rewrite', await exportOf('rewrite'), ['--no-anchors'])).code).toBe(0);
    expect(await verify('rewrite')).toMatchObject({ ok: false, seq: '6', reason: 'anchor_mismatch' });
    const run = await verifyFile('rewrite', await exportOf('rewrite'), withLog('rewrite'));
    expect(run.code).toBe(7);
    expect(run.err.join('\n')).toMatch(/anchor_mismatch/);
  });

  it('keeps one valid chain under many concurrent audited actions in one org', async () => {
    await orgWithActivity('busy', 0);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? call(t.url, 'POST', '/v1/admin/orgs/busy/scim-tokens', { token: admin(), body: { description: `c${i}` } })
          : call(t.url, 'POST', '/v1/admin/orgs/busy/ds-clients', { token: admin(), body: { name: `ds${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 201));
    // each request is two entries: the SCIM token, and the break-glass token's use
    expect(await verify('busy')).toMatchObject({ ok: true, entries: 82, headSeq: '82' });
  });

  it('the timer anchors every chain head that moved, each once, in its own log', async () => {
    await orgWithActivity('due-a', 2);
    await orgWithActivity('due-b', 3);
    const anchors = t.app.get(AuditAnchors);
    expect(await anchors.anchorDue()).toBeGreaterThanOrEqual(2);
    expect(await anchors.anchorDue()).toBe(0);
    for (const slug of ['due-a', 'due-b']) {
      const head = (await verify(slug)).headSeq as string;
      await until(async () => (await verify(slug)).lastAnchoredSeq === head, 15_000, `the anchor of ${slug} in its log`);
      expect(await verify(slug)).toMatchObject({ ok: true, anchorsInLog: 1, lastAnchoredSeq: head });
    }
  });
});
