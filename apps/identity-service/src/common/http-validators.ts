import { createHash } from 'node:crypto';

/** A strong entity tag for a body that is served unchanged (RFC 9110 §8.8.3). */
export function entityTag(body: string | Uint8Array): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether an `If-None-Match` header names `etag` (RFC 9110 §13.1.2: weak comparison, so `W/`
 * is ignored; `*` matches any current representation).
 */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return value.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

/** What a handler needs of the request and the response to answer with validators (Express and Fastify alike). */
export interface ValidatedRequest {
  headers: Record<string, string | string[] | undefined>;
}
export interface ValidatedReply {
  status(code: number): ValidatedReply;
  header(name: string, value: string): ValidatedReply;
  send(body?: string | Buffer): unknown;
}

/**
 * Sends `body` with its entity tag and `headers`, or an empty 304 when the caller already
 * holds that representation (its If-None-Match names the tag). The headers (Cache-Control,
 * Content-Type) go on both answers, as RFC 9110 §15.4.5 asks of a 304.
 */
export function sendValidated(
  req: ValidatedRequest,
  res: ValidatedReply,
  body: string | Uint8Array,
  etag: string,
  headers: Record<string, string>,
): void {
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.header('ETag', etag);
  if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
    res.status(304).send();
    return;
  }
  res.status(200).send(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}
