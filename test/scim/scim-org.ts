import { call, type TestApp } from '../support/test-app.js';

export interface ScimOrg {
  slug: string;
  orgId: string;
  token: string;
  /** Absolute SCIM base URL of the org. */
  base: string;
  /** A SCIM request with the org's token, path relative to the base. */
  scim(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; raw?: string }): ReturnType<typeof call>;
}

/** A fresh org with a SCIM token, made through the admin API as an operator would. */
export async function createScimOrg(t: TestApp, slug: string): Promise<ScimOrg> {
  const org = await call(t.url, 'POST', '/v1/admin/orgs', { token: t.adminToken, body: { slug, name: slug } });
  if (org.status !== 201) throw new Error(`org creation failed: ${org.status} ${org.text}`);
  const token = (await call(t.url, 'POST', `/v1/admin/orgs/${slug}/scim-tokens`, { token: t.adminToken, body: {} })).body.token as string;
  const [{ id: orgId }] = await t.dataSource.query('SELECT id FROM org WHERE slug = $1', [slug]);
  const base = `${t.url}/scim/v2/${slug}`;
  return { slug, orgId, token, base, scim: scimRequester(base, token) };
}

/** Requests to one SCIM base with a token; JSON bodies go as application/scim+json. */
export function scimRequester(base: string, token: string): ScimOrg['scim'] {
  return (method, path, options = {}) =>
    call(base, method, path, {
      token,
      ...options,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...options.headers },
    });
}

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
