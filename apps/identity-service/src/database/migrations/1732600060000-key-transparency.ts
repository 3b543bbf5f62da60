import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key-transparency log storage, one log per org: its state, staged events waiting for an
 * index, the entries, the complete-subtree hashes proofs and tiles are made of, signed
 * checkpoints, and the org auditor tokens that may read it.
 */
export class KeyTransparency1732600060000 implements MigrationInterface {
  name = 'KeyTransparency1732600060000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE kt_log (
        org_id uuid PRIMARY KEY REFERENCES org(id) ON DELETE CASCADE,
        origin text NOT NULL UNIQUE,
        key_id uuid NOT NULL REFERENCES custody_key(id),
        size bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
        root_hash bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Events delivered from the outbox, not yet given an index. source_id is the outbox
    // message id: a redelivered message is staged (and so appended) at most once.
    await q.query(`
      CREATE TABLE kt_pending (
        id bigserial PRIMARY KEY,
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        source_id bigint NOT NULL UNIQUE,
        entry bytea NOT NULL,
        account_id text,
        certificate_sha256 bytea,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX kt_pending_org ON kt_pending(org_id, id)`);
    await q.query(`
      CREATE TABLE kt_entry (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        idx bigint NOT NULL CHECK (idx >= 0),
        entry bytea NOT NULL,
        source_id bigint UNIQUE,
        account_id text,
        certificate_sha256 bytea,
        sequenced_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, idx)
      )`);
    await q.query(`CREATE INDEX kt_entry_account ON kt_entry(org_id, account_id, idx) WHERE account_id IS NOT NULL`);
    await q.query(`CREATE INDEX kt_entry_certificate ON kt_entry(org_id, certificate_sha256) WHERE certificate_sha256 IS NOT NULL`);
    // Hash of leaves [idx·2^level, (idx+1)·2^level): written once when complete, never changed.
    await q.query(`
      CREATE TABLE kt_subtree (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (org_id, level, idx)
      )`);
    await q.query(`
      CREATE TABLE kt_checkpoint (
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        size bigint NOT NULL CHECK (size >= 0),
        root_hash bytea NOT NULL,
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, size)
      )`);
    await q.query(`
      CREATE TABLE auditor_token (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL REFERENCES org(id) ON DELETE CASCADE,
        description text NOT NULL DEFAULT '',
        token_hash bytea NOT NULL UNIQUE,
        token_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX auditor_token_org ON auditor_token(org_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['auditor_token', 'kt_checkpoint', 'kt_subtree', 'kt_entry', 'kt_pending', 'kt_log']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
