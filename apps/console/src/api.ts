/**
 * The console's one door to the service: every admin API path it calls is named here, so the
 * pages never spell a URL, and every answer that is not 2xx becomes an ApiError carrying the
 * problem+json `reason` the service documents in docs/errors.md.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** The session's CSRF token, sent with every request that changes something. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

async function problem(res: Response): Promise<ApiError> {
  let reason: string | undefined;
  let detail = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { reason?: string; detail?: string; title?: string };
    reason = body.reason;
    detail = body.detail ?? body.title ?? detail;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, reason, detail);
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await problem(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await send('GET', path)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (!res.ok) throw await problem(res);
  return res.text();
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await send('POST', path, body);
  return (res.status === 204 ? {} : await res.json()) as T;
}

export async function patchJson<T>(path: string, body: unknown): Promise<T> {
  return (await send('PATCH', path, body)).json() as Promise<T>;
}

export async function deleteJson(path: string): Promise<void> {
  await send('DELETE', path);
}

const q = (params: Record<string, string | number | undefined | null>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : '';
};

const org = (slug: string) => `/v1/admin/orgs/${encodeURIComponent(slug)}`;

/** Every path the console uses. */
export const paths = {
  session: () => '/v1/admin/session',
  signIn: (slug: string) => `${org(slug)}/sign-in${q({ then: 'console' })}`,
  signOut: () => '/v1/admin/sign-out',
  org: (slug: string) => org(slug),
  accounts: (slug: string, p: { q?: string; status?: string; cursor?: string | null; limit?: number }) => `${org(slug)}/accounts${q(p)}`,
  account: (slug: string, id: string) => `${org(slug)}/accounts/${encodeURIComponent(id)}`,
  suspend: (slug: string, id: string) => `${org(slug)}/accounts/${encodeURIComponent(id)}/suspend`,
  resume: (slug: string, id: string) => `${org(slug)}/accounts/${encodeURIComponent(id)}/resume`,
  reportLost: (slug: string, id: string) => `${org(slug)}/devices/${encodeURIComponent(id)}/lost`,
  groups: (slug: string, p: { cursor?: string | null; limit?: number }) => `${org(slug)}/mls/groups${q(p)}`,
  groupRoster: (slug: string, groupId: string) => `${org(slug)}/mls/groups/${encodeURIComponent(groupId)}/roster`,
  flaggedGroups: (slug: string) => `${org(slug)}/mls/groups/flagged`,
  overdueRemovals: (slug: string) => `${org(slug)}/mls/removals/overdue`,
  report: (slug: string, name: string, p: Record<string, string | number | undefined> = {}) => `${org(slug)}/reports/${name}${q(p)}`,
  auditEvents: (slug: string, p: Record<string, string | number | undefined | null>) => `${org(slug)}/audit-events${q(p)}`,
  auditExport: (slug: string, p: Record<string, string | number | undefined | null>) => `${org(slug)}/audit-events/export${q(p)}`,
  auditVerify: (slug: string) => `${org(slug)}/audit/verify`,
  idpConnections: (slug: string) => `${org(slug)}/idp-connections`,
  idpConnection: (slug: string, id: string) => `${org(slug)}/idp-connections/${encodeURIComponent(id)}`,
  scimTokens: (slug: string) => `${org(slug)}/scim-tokens`,
  scimToken: (slug: string, id: string) => `${org(slug)}/scim-tokens/${encodeURIComponent(id)}`,
  dsClients: (slug: string) => `${org(slug)}/ds-clients`,
  dsClient: (slug: string, id: string) => `${org(slug)}/ds-clients/${encodeURIComponent(id)}`,
  settings: (slug: string) => `${org(slug)}/settings`,
  rotateCa: (slug: string) => `${org(slug)}/ca/rotate`,
  rotateExternalSender: (slug: string) => `${org(slug)}/mls/external-sender/rotate`,
  rotateLogKey: (slug: string) => `${org(slug)}/transparency/key/rotate`,
  profile: (slug: string) => `/.well-known/mls-identity/${encodeURIComponent(slug)}`,
  ktCheckpoint: (slug: string) => `/kt/${encodeURIComponent(slug)}/checkpoint`,
  ktKey: (slug: string) => `/kt/${encodeURIComponent(slug)}/key`,
  ktAccount: (slug: string, accountId: string) => `/kt/${encodeURIComponent(slug)}/accounts/${encodeURIComponent(accountId)}`,
};
