import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  AUDIT_CHAIN_GENESIS,
  AUDIT_CHAIN_VERSION,
  AuditChainVerifier,
  type AuditAnchor,
  type AuditChainFields,
  type AuditChainVerdict,
} from '#protocol';
import { chainEntryOf, chainHash, PLATFORM_CHAIN, sha256 } from './audit-chain-row.js';
import { currentAuditContext } from './audit-context.js';
import { AuditEvent } from './audit-event.entity.js';
import { redactSecrets } from './audit-redaction.js';

export interface AuditRecord {
  orgId: string | null;
  actor: string;
  action: string;
  /** `{type}:{id}`. */
  target: string;
  /** Identifiers and non-secret fields only. */
  details?: Record<string, unknown>;
  /** A summary of the target before and after the change (non-secret fields only). */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** `{type}:{id}` exactly, or `{type}` for every target of that type. */
  target?: string;
  since?: Date;
  until?: Date;
  /** Entries after this chain sequence. */
  afterSeq?: string;
  /** Legacy cursor: entries with a larger row id. */
  afterId?: string;
}

export interface ChainHead {
  orgId: string;
  seq: string;
  hash: string;
}

/** Roles when no authenticated principal is in context: the actor's kind (`system`, `idp-subject`, `device`, …). */
function kindOf(actor: string): string {
  const colon = actor.indexOf(':');
  return colon > 0 ? actor.slice(0, colon) : actor;
}

/** Secrets redacted, and as jsonb will hand it back: what is hashed is what is stored. */
function asStored(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(redactSecrets(value))) as Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records in the caller's transaction, so the audit trail and the change commit together.
   * Each org's entries are chained: the org's head row is locked (FOR UPDATE) until that
   * transaction ends, so the org's entries take sequence numbers in one order; other orgs'
   * writers lock other rows and do not wait. Caller, IP and request id come from the request's
   * audit context.
   */
  async record(manager: EntityManager, ...events: AuditRecord[]): Promise<void> {
    if (events.length === 0) return;
    if (!manager.queryRunner?.isTransactionActive) {
      await manager.transaction((m) => this.record(m, ...events));
      return;
    }
    const context = currentAuditContext();
    const principal = context?.principal ?? null;
    const byChain = new Map<string, AuditRecord[]>();
    for (const e of events) {
      const chain = e.orgId ?? PLATFORM_CHAIN;
      const group = byChain.get(chain);
      if (group) group.push(e);
      else byChain.set(chain, [e]);
    }
    // Heads locked in one order, so two transactions auditing the same two orgs cannot deadlock.
    for (const chain of [...byChain.keys()].sort()) {
      const head = await this.lockHead(manager, chain);
      let seq = BigInt(head.seq);
      let prevHash = head.hash;
      const rows: (AuditChainFields & { hash: string })[] = [];
      for (const e of byChain.get(chain)!) {
        seq += 1n;
        const fields: AuditChainFields = {
          v: AUDIT_CHAIN_VERSION,
          orgId: e.orgId,
          seq: seq.toString(),
          createdAt: new Date().toISOString(),
          actor: e.actor,
          actorRoles: principal ? [...principal.roles] : [kindOf(e.actor)],
          actorVia: principal?.via ?? null,
          action: e.action,
          target: e.target,
          sourceIp: context?.sourceIp ?? null,
          requestId: context?.requestId ?? null,
          details: asStored(e.details ?? {}),
          before: e.before ? asStored(e.before) : null,
          after: e.after ? asStored(e.after) : null,
          prevHash,
        };
        const hash = chainHash(fields);
        rows.push({ ...fields, hash });
        prevHash = hash;
      }
      await manager.query(
        `WITH ins AS (
           INSERT INTO audit_event (org_id, seq, created_at, actor, actor_roles, actor_via, action, target, source_ip, request_id,
                                    details, before, after, chain_version, prev_hash, hash)
           SELECT x.org_id, x.seq, x.created_at, x.actor, ARRAY(SELECT jsonb_array_elements_text(x.roles)), x.via, x.action, x.target,
                  x.ip, x.request_id, x.details, x.before, x.after, $15, x.prev_hash, x.hash
             FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::bytea[], $16::bytea[])
                  AS x(org_id, seq, created_at, actor, roles, via, action, target, ip, request_id, details, before, after, prev_hash, hash)
         )
         UPDATE audit_chain_head SET seq = $17, hash = $18 WHERE chain_id = $19`,
        [
          rows.map((r) => r.orgId),
          rows.map((r) => r.seq),
          rows.map((r) => r.createdAt),
          rows.map((r) => r.actor),
          rows.map((r) => JSON.stringify(r.actorRoles)),
          rows.map((r) => r.actorVia),
          rows.map((r) => r.action),
          rows.map((r) => r.target),
          rows.map((r) => r.sourceIp),
          rows.map((r) => r.requestId),
          rows.map((r) => JSON.stringify(r.details)),
          rows.map((r) => (r.before ? JSON.stringify(r.before) : null)),
          rows.map((r) => (r.after ? JSON.stringify(r.after) : null)),
          rows.map((r) => Buffer.from(r.prevHash, 'hex')),
          AUDIT_CHAIN_VERSION,
          rows.map((r) => Buffer.from(r.hash, 'hex')),
          seq.toString(),
          Buffer.from(prevHash, 'hex'),
          chain,
        ],
      );
    }
  }

  private async lockHead(m: EntityManager, chain: string): Promise<{ seq: string; hash: string }> {
    const select = `SELECT seq, hash FROM audit_chain_head WHERE chain_id = $1 FOR UPDATE`;
    let [head]: { seq: string; hash: Buffer }[] = await m.query(select, [chain]);
    if (!head) {
      await m.query(`INSERT INTO audit_chain_head (chain_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING`, [
        chain,
        Buffer.from(AUDIT_CHAIN_GENESIS, 'hex'),
      ]);
      [head] = await m.query(select, [chain]);
    }
    return { seq: String(head!.seq), hash: Buffer.from(head!.hash).toString('hex') };
  }

  /** The org's entries matching `filter`, in chain order. */
  async list(orgId: string, filter: AuditFilter, limit: number): Promise<AuditEvent[]> {
    const qb = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.org_id = :orgId', { orgId })
      .orderBy('e.seq', 'ASC')
      .limit(limit);
    if (filter.actor !== undefined) qb.andWhere('e.actor = :actor', { actor: filter.actor });
    if (filter.action !== undefined) {
      // `device.*` selects a family of actions.
      if (filter.action.endsWith('.*')) qb.andWhere('starts_with(e.action, :action)', { action: filter.action.slice(0, -1) });
      else qb.andWhere('e.action = :action', { action: filter.action });
    }
    if (filter.target !== undefined) {
      if (filter.target.includes(':')) qb.andWhere('e.target = :target', { target: filter.target });
      else qb.andWhere('starts_with(e.target, :target)', { target: `${filter.target}:` });
    }
    if (filter.since) qb.andWhere('e.created_at >= :since', { since: filter.since });
    if (filter.until) qb.andWhere('e.created_at < :until', { until: filter.until });
    if (filter.afterSeq) qb.andWhere('e.seq > :afterSeq', { afterSeq: filter.afterSeq });
    if (filter.afterId) qb.andWhere('e.id > :afterId', { afterId: filter.afterId });
    return qb.getMany();
  }

  /** Every entry matching `filter`, in chain order, read in pages (for streaming exports). */
  async *stream(orgId: string, filter: AuditFilter, pageSize = 500): AsyncGenerator<AuditEvent> {
    let afterSeq = filter.afterSeq;
    for (;;) {
      const page = await this.list(orgId, { ...filter, ...(afterSeq !== undefined && { afterSeq }) }, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      afterSeq = page.at(-1)!.seq;
    }
  }

  /**
   * Verifies the org's whole chain as stored, against the anchors its KT log holds and its head
   * row: the first broken sequence and why, or ok.
   */
  async verify(orgId: string, anchors: readonly AuditAnchor[]): Promise<AuditChainVerdict & { anchorsInLog: number }> {
    const [head]: { seq: string; hash: Buffer }[] = await this.dataSource.query(`SELECT seq, hash FROM audit_chain_head WHERE chain_id = $1`, [
      orgId,
    ]);
    const verifier = new AuditChainVerifier(
      sha256,
      // The head row is one more anchor, kept by the database itself: a cut tail shows against it.
      head && BigInt(head.seq) > 0n
        ? [...anchors, { seq: String(head.seq), hash: Buffer.from(head.hash).toString('hex'), source: 'the chain head row' }]
        : anchors,
    );
    for await (const e of this.stream(orgId, {}, 1000)) if (!verifier.push(chainEntryOf(e))) break;
    const verdict = verifier.finish();
    return { ...verdict, anchorsInLog: anchors.length };
  }

  /**
   * Chain heads that moved since they were last anchored, locked (SKIP LOCKED: a head that a
   * writer holds is anchored on the next round), for the caller to anchor in the same transaction.
   */
  async claimUnanchoredHeads(m: EntityManager, limit: number, orgId?: string): Promise<ChainHead[]> {
    const rows: { chain_id: string; seq: string; hash: Buffer }[] = await m.query(
      `SELECT chain_id, seq, hash FROM audit_chain_head
        WHERE seq > anchored_seq AND chain_id <> $1 ${orgId ? 'AND chain_id = $3' : ''}
        ORDER BY anchored_at NULLS FIRST LIMIT $2 FOR UPDATE SKIP LOCKED`,
      orgId ? [PLATFORM_CHAIN, limit, orgId] : [PLATFORM_CHAIN, limit],
    );
    return rows.map((r) => ({ orgId: r.chain_id, seq: String(r.seq), hash: Buffer.from(r.hash).toString('hex') }));
  }

  async markAnchored(m: EntityManager, heads: readonly ChainHead[]): Promise<void> {
    if (heads.length === 0) return;
    await m.query(
      `UPDATE audit_chain_head h SET anchored_seq = x.seq, anchored_at = now()
         FROM unnest($1::uuid[], $2::bigint[]) AS x(chain_id, seq) WHERE h.chain_id = x.chain_id`,
      [heads.map((h) => h.orgId), heads.map((h) => h.seq)],
    );
  }
}
