import { RequestErrors } from '../errors/request.errors.js';

/** What seals a cursor: the keys module's SecretBox (authenticated encryption under the KEK). */
export interface CursorSealer {
  seal(plaintext: Uint8Array, context: string): Buffer;
  open(sealed: Uint8Array, context: string): Buffer;
}

/** A page of a listing: at most `limit` items and, when more follow, the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** The position after the last item of a page, in keyset order (created_at as PostgreSQL text, then id). */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

/**
 * Opaque, tamper-evident page cursors. The position is sealed (AES-GCM) with the listing's
 * name and its filters as associated data, so a cursor reads as noise, an edited one does not
 * open, and one issued for another listing or other filters is refused rather than silently
 * paging something else. Cursors do not outlive a KEK rotation (the next request is a 400).
 */
export function encodeCursor(box: CursorSealer, listing: string, filters: unknown, position: KeysetPosition): string {
  return box.seal(Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8'), context(listing, filters)).toString('base64url');
}

export function decodeCursor(box: CursorSealer, listing: string, filters: unknown, cursor: string): KeysetPosition {
  const refuse = () => RequestErrors.raise('invalid_cursor', 'the cursor is not one this listing issued for these filters');
  if (!/^[A-Za-z0-9_-]{16,2048}$/.test(cursor)) refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(box.open(Buffer.from(cursor, 'base64url'), context(listing, filters)).toString('utf8'));
  } catch {
    return refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return refuse();
  return { createdAt: parsed[0], id: parsed[1] };
}

/** Up to limit + 1 rows were fetched: the extra one only says that another page follows (`last` is then the page's last row). */
export function splitPage<R>(rows: readonly R[], limit: number): { rows: R[]; last: R | null } {
  if (rows.length <= limit) return { rows: [...rows], last: null };
  const shown = rows.slice(0, limit);
  return { rows: shown, last: shown[shown.length - 1]! };
}

/**
 * One page of a keyset listing: opens `cursor` (when given), fetches up to limit + 1 rows after
 * it, and seals the position of the page's last row as `next` when more follow.
 */
export async function keysetPage<R extends { position: KeysetPosition }>(
  box: CursorSealer,
  listing: string,
  filters: unknown,
  q: { cursor?: string; limit: number },
  fetch: (after: KeysetPosition | null, take: number) => Promise<R[]>,
): Promise<Page<Omit<R, 'position'>>> {
  const after = q.cursor === undefined ? null : decodeCursor(box, listing, filters, q.cursor);
  const { rows, last } = splitPage(await fetch(after, q.limit + 1), q.limit);
  return {
    items: rows.map(({ position: _, ...item }) => item),
    next: last ? encodeCursor(box, listing, filters, last.position) : null,
  };
}

function context(listing: string, filters: unknown): string {
  return `page-cursor:${listing}:${JSON.stringify(filters ?? null)}`;
}
