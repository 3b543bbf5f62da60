import { createHash } from 'node:crypto';
import { AUDIT_CHAIN_VERSION, auditEntryHash, type AuditChainEntry, type AuditChainFields } from '#protocol';
import type { AuditEvent } from './audit-event.entity.js';

/** The chain of the audit events that belong to no org (platform actions). */
export const PLATFORM_CHAIN = '00000000-0000-0000-0000-000000000000';

export const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

export function chainHash(fields: AuditChainFields): string {
  return auditEntryHash(fields, sha256);
}

/** A stored row as the chain (and the JSON lines export) sees it. */
export function chainEntryOf(e: AuditEvent): AuditChainEntry {
  return {
    v: e.chainVersion ?? AUDIT_CHAIN_VERSION,
    orgId: e.orgId,
    seq: String(e.seq),
    createdAt: e.createdAt.toISOString(),
    actor: e.actor,
    actorRoles: e.actorRoles ?? [],
    actorVia: e.actorVia,
    action: e.action,
    target: e.target,
    sourceIp: e.sourceIp,
    requestId: e.requestId,
    details: e.details ?? {},
    before: e.before,
    after: e.after,
    prevHash: Buffer.from(e.prevHash).toString('hex'),
    hash: Buffer.from(e.hash).toString('hex'),
  };
}
