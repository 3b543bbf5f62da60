import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditChainVerifier, type AuditChainEntry } from '#protocol';
import { dataSourceOptions } from '../../apps/identity-service/src/database/data-source-options.js';
import { runMigrations } from '../../apps/identity-service/src/database/migrate.js';
import { migrations } from '../../apps/identity-service/src/database/migrations/index.js';
import { AuditChain1734400000000 } from '../../apps/identity-service/src/database/migrations/1734400000000-audit-chain.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/** Audit rows written before the chain existed are chained by the migration that adds it, per org, oldest first. */
describe('audit chain migration', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('chains the existing rows of each org, and the chain verifies', async () => {
    const before = new DataSource({ ...dataSourceOptions(db.url, 2), migrations: migrations.slice(0, migrations.indexOf(AuditChain1734400000000)) });
    await before.initialize();
    const orgs: string[] = [];
    try {
      await before.runMigrations({ transaction: 'each' });
      for (const slug of ['one', 'two']) {
        const [org] = await before.query(`INSERT INTO org (slug, name) VALUES ($1, $1) RETURNING id`, [slug]);
        orgs.push(org.id);
      }
      for (let i = 0; i < 9; i++) {
        await before.query(`INSERT INTO audit_event (org_id, actor, action, target, details) VALUES ($1, 'admin:bootstrap', 'old.action', $2, $3)`, [
          orgs[i % 2],
          `thing:${i}`,
          JSON.stringify({ i, nested: { b: 1, a: [1, 'x'] } }),
        ]);
      }
      await before.query(`INSERT INTO audit_event (org_id, actor, action, target) VALUES (NULL, 'admin:bootstrap', 'platform.thing', 'x:1')`);
    } finally {
      await before.destroy();
    }
    await runMigrations(db.url);

    const after = new DataSource(dataSourceOptions(db.url, 2));
    await after.initialize();
    try {
      for (const [n, orgId] of orgs.map((o, i) => [i === 0 ? 5 : 4, o] as const)) {
        const rows = await after.query(
          `SELECT org_id, seq::text, created_at, actor, actor_roles, actor_via, action, target, source_ip, request_id, details, before, after,
                  chain_version, encode(prev_hash, 'hex') AS prev, encode(hash, 'hex') AS hash
             FROM audit_event WHERE org_id = $1 ORDER BY seq`,
          [orgId],
        );
        expect(rows.map((r: { seq: string }) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
        const verifier = new AuditChainVerifier(sha256);
        for (const r of rows) {
          const entry: AuditChainEntry = {
            v: r.chain_version,
            orgId: r.org_id,
            seq: r.seq,
            createdAt: r.created_at.toISOString(),
            actor: r.actor,
            actorRoles: r.actor_roles,
            actorVia: r.actor_via,
            action: r.action,
            target: r.target,
            sourceIp: r.source_ip,
            requestId: r.request_id,
            details: r.details,
            before: r.before,
            after: r.after,
            prevHash: r.prev,
            hash: r.hash,
          };
          expect(verifier.push(entry)).toBe(true);
        }
        expect(verifier.finish()).toMatchObject({ ok: true, entries: n, headSeq: String(n) });
        const [head] = await after.query(`SELECT seq::text, encode(hash, 'hex') AS hash FROM audit_chain_head WHERE chain_id = $1`, [orgId]);
        expect(head).toEqual({ seq: String(n), hash: rows.at(-1).hash });
      }
      const [platform] = await after.query(`SELECT seq::text FROM audit_event WHERE org_id IS NULL`);
      expect(platform.seq).toBe('1');
    } finally {
      await after.destroy();
    }
  });
});
