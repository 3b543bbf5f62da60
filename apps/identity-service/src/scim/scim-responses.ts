import type { Response } from 'express';
import { isJsonObject, ScimError, type JsonObject } from '#scim';
import { etag, readListParams, sendScim, type ListParams } from './scim-request.js';
import type { Written } from './scim-users.service.js';

export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** A created or replaced resource: Location (RFC 7644 §3.3) and ETag headers, meta in the body. */
export function sendWritten(res: Response, status: number, written: Written, body: JsonObject): void {
  sendScim(res, status, body, { Location: written.location, ETag: etag(written.version) });
}

/** POST /.search (RFC 7644 §3.4.3): a SearchRequest message carrying the query parameters. */
export function searchBody(body: unknown): ListParams {
  if (!isJsonObject(body)) throw ScimError.invalidSyntax('the body must be a SearchRequest object');
  const schemas = Object.entries(body).find(([k]) => k.toLowerCase() === 'schemas')?.[1];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())) {
    throw ScimError.invalidSyntax(`"schemas" must contain ${SEARCH_REQUEST_SCHEMA}`);
  }
  return readListParams(body);
}
