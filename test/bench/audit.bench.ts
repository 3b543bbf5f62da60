import 'reflect-metadata';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { createApp } from '../../apps/identity-service/src/app-factory.js';
import { AuditService } from '../../apps/identity-service/src/audit/index.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import type { Org } from '../../apps/identity-service/src/orgs/index.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { AuditAnchors } from '../../apps/identity-service/src/transparency/index.js';
import { benchConfig, benchDatabase, latencyFields, line, percentile } from './bench-support.js';

/**
 * What the tamper-evident chain adds to an audited transaction: the org's head row locked,
 * the entry hashed and inserted, the head moved. Interleaved with the same transaction without
 * the audit record, so machine load hits both alike. Then many writers in one org (they queue
 * on its head row) against the same writers spread over orgs (they do not), and the cost of
 * verifying a chain. Size: AUDIT_BENCH_N (default 400).
 */
export default async function run(): Promise<void> {
  const n = Number(process.env.AUDIT_BENCH_N ?? 400);
  const db = await benchDatabase();
  await runMigrations(db.url);
  const config = benchConfig(db.url);
  const app = await createApp(config, db.url);
  await app.init();
  const ds = app.get<DataSource>(getDataSourceToken());
  const audit = app.get(AuditService);
  const orgs = app.get(OrgsService);
  try {
    const spread: Org[] = [];
    for (let i = 0; i < 16; i++) spread.push(await orgs.create('admin:bench', `audit-bench-${i}`, `Audit bench ${i}`));
    const orgId = spread[0]!.id;
    const event = (i: number) => ({ orgId, actor: 'admin:bench', action: 'bench.thing', target: `thing:${i}`, details: { i, note: 'x'.repeat(40) } });
    // The work an audited transaction does anyway (a row locked and written), without and with the audit record.
    const plain: number[] = [];
    const old: number[] = [];
    const one: number[] = [];
    const oldSix: number[] = [];
    const six: number[] = [];
    const base = (m: EntityManager) => m.query(`SELECT id FROM org WHERE id = $1 FOR UPDATE`, [orgId]);
    // The audit insert as it was before the chain (same columns, no chain), for the difference the chain makes.
    await ds.query(`CREATE TABLE bench_unchained_audit (id bigserial PRIMARY KEY, org_id uuid, actor text NOT NULL, action text NOT NULL,
                      target text NOT NULL, details jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now())`);
    const unchained = (m: EntityManager, i: number, k = 1) =>
      m.query(
        `INSERT INTO bench_unchained_audit (org_id, actor, action, target, details) SELECT $1, 'admin:bench', 'bench.thing', 'thing:' || g, $2 FROM generate_series(1, $3) g`,
        [orgId, JSON.stringify(event(i).details), k],
      );
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      await ds.transaction(base);
      plain.push(performance.now() - t0);
      t0 = performance.now();
      await ds.transaction(async (m) => {
        await base(m);
        await unchained(m, i);
      });
      old.push(performance.now() - t0);
      t0 = performance.now();
      await ds.transaction(async (m) => {
        await base(m);
        await unchained(m, i, 5);
        await unchained(m, i, 1);
      });
      oldSix.push(performance.now() - t0);
      t0 = performance.now();
      await ds.transaction(async (m) => {
        await base(m);
        await audit.record(m, event(i));
      });
      one.push(performance.now() - t0);
      // Deprovisioning an account with 5 devices: five device.revoke entries, then account.deactivate.
      t0 = performance.now();
      await ds.transaction(async (m) => {
        await base(m);
        await audit.record(m, ...[0, 1, 2, 3, 4].map((d) => event(i * 10 + d)));
        await audit.record(m, event(i * 10 + 9));
      });
      six.push(performance.now() - t0);
    }
    for (const a of [plain, old, oldSix, one, six]) a.sort((x, y) => x - y);
    const p50 = (a: number[]) => percentile(a, 50);
    line('transaction without audit', { n, ...latencyFields(plain) });
    line('+ 1 unchained audit insert (before)', { n, ...latencyFields(old) });
    line('+ 1 chained audit entry (now)', { n, ...latencyFields(one), added_vs_before_p50_ms: p50(one) - p50(old) });
    line('+ 6 unchained entries, 2 inserts (before)', { n, ...latencyFields(oldSix) });
    line('+ 6 chained entries, 2 records (now)', { n, ...latencyFields(six), added_vs_before_p50_ms: p50(six) - p50(oldSix) });

    const writers = 16;
    const per = Math.max(10, Math.floor(n / 8));
    const burst = async (orgOf: (w: number) => string) => {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < per; i++)
            await ds.transaction((m) => audit.record(m, { orgId: orgOf(w), actor: 'admin:bench', action: 'bench.burst', target: `w:${w}:${i}` }));
        }),
      );
      return (writers * per) / ((performance.now() - t0) / 1000);
    };
    line(`${writers} writers, one org`, { entries: writers * per, entries_per_s: await burst(() => orgId) });
    line(`${writers} writers, ${spread.length} orgs`, { entries: writers * per, entries_per_s: await burst((w) => spread[w % spread.length]!.id) });

    const [{ entries }] = await ds.query(`SELECT count(*)::int AS entries FROM audit_event WHERE org_id = $1`, [orgId]);
    const anchors = app.get(AuditAnchors);
    const t0 = performance.now();
    const verdict = await audit.verify(orgId, await anchors.anchorsOf(orgId));
    const ms = performance.now() - t0;
    if (!verdict.ok) throw new Error(`chain broken: ${JSON.stringify(verdict)}`);
    line('verify one org chain', { entries, ms, entries_per_s: entries / (ms / 1000) });
  } finally {
    await app.close();
    await db.drop();
  }
}
