import type { Request, Response } from 'express';
import { ScimError } from '#scim';
import type { Principal } from '../common/access/index.js';
import { SCIM_CONTENT_TYPE } from './scim-error.filter.js';

/** Who asks and where: every SCIM use case is scoped to the token's org. */
export interface ScimCaller {
  orgId: string;
  orgSlug: string;
  /** The SCIM token, for the audit trail (`scim-token:<id>`). */
  actor: string;
  /** Absolute base of this org's SCIM endpoints, for meta.location and $ref (RFC 7643 §3.1). */
  baseUrl: string;
}

export function scimCaller(req: Request, principal: Principal): ScimCaller {
  if (principal.kind !== 'scim') throw new ScimError(401, 'a SCIM token is required');
  return {
    orgId: principal.orgId,
    orgSlug: principal.orgSlug,
    actor: principal.actor,
    baseUrl: `${req.protocol}://${req.get('host')}/scim/v2/${encodeURIComponent(principal.orgSlug)}`,
  };
}

/** RFC 7644 §3.14: the version as a weak entity tag. */
export function etag(version: number): string {
  return `W/"${version}"`;
}

/** RFC 7232 §3.2: the client already holds this version (If-None-Match lists its tag). */
export function holdsVersion(req: Request, tag: string): boolean {
  return (
    req
      .get('if-none-match')
      ?.split(',')
      .some((t) => t.trim() === tag) ?? false
  );
}

/** If-Match (RFC 7232 §3.1, weak comparison as RFC 7644 §3.14 uses weak tags): 412 when no tag matches. */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined || ifMatch.trim() === '') return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*')) return;
  const opaque = (t: string) => t.replace(/^W\//, '');
  if (!tags.some((t) => opaque(t) === `"${version}"`)) {
    throw new ScimError(412, `the resource has changed: its version is ${etag(version)}`);
  }
}

/**
 * SCIM bodies are bounded more tightly than the service's general limit: the largest
 * legitimate one is a Bulk request, advertised at 1 MiB (ServiceProviderConfig bulk.maxPayloadSize).
 */
export const SCIM_MAX_BODY_BYTES = 1024 * 1024;

/** Bodies are JSON (RFC 7644 §3.1 application/scim+json, or application/json as IdPs also send). */
export function requireJsonBody(req: Request & { rawBody?: Buffer }): unknown {
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/scim+json' && type !== 'application/json') {
    throw new ScimError(415, 'the body must be application/scim+json or application/json');
  }
  const size = req.rawBody?.length ?? Number(req.get('content-length') ?? 0);
  if (size > SCIM_MAX_BODY_BYTES) throw new ScimError(413, `SCIM request bodies are limited to ${SCIM_MAX_BODY_BYTES} bytes`);
  return req.body;
}

export function sendScim(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    res.status(status).end();
    return;
  }
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.send(JSON.stringify(body));
}

/** List and search parameters (RFC 7644 §3.4.2, §3.4.3), from a query string or a SearchRequest. */
export interface ListParams {
  filter?: string;
  startIndex?: unknown;
  count?: unknown;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string | string[];
  excludedAttributes?: string | string[];
}

function optionalString(name: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw ScimError.invalidValue(`${name} must be given once, as a string`);
  return v;
}

function attributeList(name: string, v: unknown): string | string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw ScimError.invalidValue(`${name} must be a list of attribute names`);
}

/** Parameter names are matched case-insensitively: IdPs differ in spelling (startindex, Count). */
export function readListParams(source: Record<string, unknown>): ListParams {
  const get = (name: string) => {
    const key = Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : source[key];
  };
  const startIndex = get('startIndex');
  const count = get('count');
  if (Array.isArray(startIndex) || Array.isArray(count)) throw ScimError.invalidValue('startIndex and count must be given once');
  return {
    filter: optionalString('filter', get('filter')),
    startIndex,
    count,
    sortBy: optionalString('sortBy', get('sortBy')),
    sortOrder: optionalString('sortOrder', get('sortOrder')),
    attributes: attributeList('attributes', get('attributes')),
    excludedAttributes: attributeList('excludedAttributes', get('excludedAttributes')),
  };
}
