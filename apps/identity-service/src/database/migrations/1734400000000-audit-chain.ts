import { createHash } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_CHAIN_GENESIS, AUDIT_CHAIN_VERSION, auditEntryHash } from '#protocol';

/** The chain of the audit events that belong to no org (platform actions). */
const PLATFORM_CHAIN = '00000000-0000-0000-0000-000000000000';
const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/**
 * The tamper-evident audit log (issue 15): who acted in which role, from where, in which
 * request, and each org's entries hash-chained (`seq`, `prev_hash`, `hash`) behind a per-org
 * head row that writers lock, so entries of one org append in one order while orgs do not wait
 * for each other. The rows written before this migration are chained here, oldest first, their
 * times cut to the millisecond the chain encodes.
 */
export class AuditChain1734400000000 implements MigrationInterface {
  name = 'AuditChain1734400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_event
        ADD COLUMN actor_roles text[] NOT NULL DEFAULT '{}',
        ADD COLUMN actor_via text,
        ADD COLUMN source_ip text,
        ADD COLUMN request_id text,
        ADD COLUMN before jsonb,
        ADD COLUMN after jsonb,
        ADD COLUMN chain_version smallint,
        ADD COLUMN seq bigint,
        ADD COLUMN prev_hash bytea,
        ADD COLUMN hash bytea`);
    await q.query(`
      CREATE TABLE audit_chain_head (
        chain_id uuid PRIMARY KEY,
        seq bigint NOT NULL,
        hash bytea NOT NULL,
        anchored_seq bigint NOT NULL DEFAULT 0,
        anchored_at timestamptz
      )`);
    await q.query(`UPDATE audit_event SET created_at = date_trunc('milliseconds', created_at)`);
    const rows: {
      id: string;
      org_id: string | null;
      created_at: Date;
      actor: string;
      action: string;
      target: string;
      details: Record<string, unknown>;
    }[] = await q.query(`SELECT id, org_id, created_at, actor, action, target, details FROM audit_event ORDER BY id`);
    const heads = new Map<string, { seq: bigint; hash: string }>();
    for (const row of rows) {
      const chain = row.org_id ?? PLATFORM_CHAIN;
      const head = heads.get(chain) ?? { seq: 0n, hash: AUDIT_CHAIN_GENESIS };
      const seq = head.seq + 1n;
      const fields = {
        v: AUDIT_CHAIN_VERSION,
        orgId: row.org_id,
        seq: seq.toString(),
        createdAt: row.created_at.toISOString(),
        actor: row.actor,
        actorRoles: [],
        actorVia: null,
        action: row.action,
        target: row.target,
        sourceIp: null,
        requestId: null,
        details: row.details,
        before: null,
        after: null,
        prevHash: head.hash,
      };
      const hash = auditEntryHash(fields, sha256);
      await q.query(`UPDATE audit_event SET chain_version = $2, seq = $3, prev_hash = $4, hash = $5 WHERE id = $1`, [
        row.id,
        AUDIT_CHAIN_VERSION,
        fields.seq,
        Buffer.from(head.hash, 'hex'),
        Buffer.from(hash, 'hex'),
      ]);
      heads.set(chain, { seq, hash });
    }
    for (const [chain, head] of heads) {
      await q.query(`INSERT INTO audit_chain_head (chain_id, seq, hash) VALUES ($1, $2, $3)`, [
        chain,
        head.seq.toString(),
        Buffer.from(head.hash, 'hex'),
      ]);
    }
    await q.query(`
      ALTER TABLE audit_event
        ALTER COLUMN chain_version SET NOT NULL,
        ALTER COLUMN seq SET NOT NULL,
        ALTER COLUMN prev_hash SET NOT NULL,
        ALTER COLUMN hash SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX audit_event_chain ON audit_event ((coalesce(org_id, '${PLATFORM_CHAIN}'::uuid)), seq)`);
    await q.query(`CREATE INDEX audit_event_org_seq ON audit_event (org_id, seq)`);
    await q.query(`CREATE INDEX audit_event_org_actor ON audit_event (org_id, actor, seq)`);
    await q.query(`CREATE INDEX audit_event_org_target ON audit_event (org_id, target, seq)`);
    await q.query(`CREATE INDEX audit_event_org_time ON audit_event (org_id, created_at)`);
    // The anchors of an org's audit chain in its key-transparency log (event type 12), found
    // without decoding every entry.
    await q.query(`CREATE INDEX kt_entry_audit_anchor ON kt_entry (org_id, idx) WHERE get_byte(entry, 1) = 12`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS kt_entry_audit_anchor`);
    await q.query(`DROP TABLE audit_chain_head`);
    for (const index of ['audit_event_chain', 'audit_event_org_seq', 'audit_event_org_actor', 'audit_event_org_target', 'audit_event_org_time'])
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    await q.query(`
      ALTER TABLE audit_event
        DROP COLUMN actor_roles, DROP COLUMN actor_via, DROP COLUMN source_ip, DROP COLUMN request_id,
        DROP COLUMN before, DROP COLUMN after, DROP COLUMN chain_version, DROP COLUMN seq,
        DROP COLUMN prev_hash, DROP COLUMN hash`);
  }
}
