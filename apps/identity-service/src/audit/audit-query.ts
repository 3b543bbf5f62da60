import { AuditErrors } from './audit.errors.js';
import type { AuditFilter } from './audit.service.js';

/** The audit log's query parameters as the API takes them. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  since?: string;
  until?: string;
  cursor?: string;
  /** Legacy parameter: a row id, or (as `next` now is) an opaque cursor. */
  after?: string;
}

const CURSOR = /^a1\.([1-9][0-9]{0,17})$/;

/** Opaque to clients; today the chain sequence of the last entry of the page. */
export function encodeAuditCursor(seq: string): string {
  return Buffer.from(`a1.${seq}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(cursor: string): string {
  const match = /^[A-Za-z0-9_-]+$/.test(cursor) ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  if (!match) return AuditErrors.raise('audit_cursor_invalid', 'the cursor was not handed out by this endpoint');
  return match[1]!;
}

export function auditFilterOf(q: AuditQuery): AuditFilter {
  const since = q.since !== undefined ? new Date(q.since) : undefined;
  const until = q.until !== undefined ? new Date(q.until) : undefined;
  if (since && until && since.getTime() >= until.getTime()) AuditErrors.raise('audit_time_range_invalid', '`since` must be before `until`');
  return {
    ...(q.actor !== undefined && { actor: q.actor }),
    ...(q.action !== undefined && { action: q.action }),
    ...(q.target !== undefined && { target: q.target }),
    ...(since && { since }),
    ...(until && { until }),
    ...(q.cursor !== undefined && { afterSeq: decodeAuditCursor(q.cursor) }),
    ...(q.after !== undefined && (/^\d+$/.test(q.after) ? { afterId: q.after } : { afterSeq: decodeAuditCursor(q.after) })),
  };
}
