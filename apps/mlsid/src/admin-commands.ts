import { flag, type ParsedArgs } from './args.js';
import { readDevCredentials } from './dev-credentials.js';
import { LogUnreachable, RefusedByService, UsageError } from './exit-codes.js';
import type { CliIo } from './log-commands.js';

/**
 * `mlsid admin …`: the management API for scripts and the helpdesk. Authenticates with a
 * bearer token: --token, else MLSID_ADMIN_TOKEN (what `mlsid admin login` prints, or the
 * break-glass ADMIN_TOKEN), else dev mode's ./.data/dev-credentials.json. Exit codes as for
 * every command: 5 when the service refuses (4xx, with its reason), 4 when it is unreachable.
 */
export const ADMIN_FLAGS = ['url', 'org', 'token'];
const TIMEOUT_MS = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The answers' shapes as this command prints them (the service documents them in OpenAPI).
interface AccountItem {
  id: string;
  status: string;
  userName: string;
  email: string | null;
  suspendedAt: string | null;
  suspendedBy: string | null;
}
interface DeviceItem {
  id: string;
  status: string;
  platform: string;
  name: string;
  accountId: string;
}
interface GroupItem {
  groupId: string;
  epoch: string;
  leafIndex: number;
  deviceId?: string;
}
interface RemovalItem {
  groupId: string;
  leafIndex: number;
  reason: string;
  plannedAt: string;
}
interface AccountDetail {
  account: AccountItem;
  directoryGroups: { displayName: string }[];
  devices: DeviceItem[];
  certificates: { id: string; status: string; notAfter: string; deviceId: string }[];
  mlsGroups: GroupItem[];
  pendingRemovals: RemovalItem[];
}
interface Revocation {
  revoked?: boolean;
  changed?: boolean;
  devices: string[];
  certificates: string[];
}
interface Report {
  overdueAfterMinutes: number;
  total: number;
  byDsClient: { dsClientId: string | null; overdue: number; groups: number }[];
  byGroup: { groupId: string; overdue: number; oldestPlannedAt: string }[];
  devices: Record<string, number>;
  accounts: Record<string, number>;
  days: { day: string; count: number }[];
}

interface AdminEndpoint {
  baseUrl: string;
  org: string;
  token: string;
}

async function endpoint(args: ParsedArgs, io: CliIo): Promise<AdminEndpoint> {
  const dev = await readDevCredentials(io.cwd);
  const url = flag(args, 'url') ?? dev.baseUrl;
  const org = flag(args, 'org') ?? dev.org;
  const token = flag(args, 'token') ?? process.env.MLSID_ADMIN_TOKEN ?? dev.adminToken;
  if (!url) throw new UsageError('--url is required (no ./.data/dev-credentials.json found)');
  if (!org || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(org)) throw new UsageError('--org must name the org (its slug)');
  if (!token) throw new UsageError('no admin token: set MLSID_ADMIN_TOKEN (mlsid admin login prints one) or pass --token');
  return { baseUrl: url.replace(/\/+$/, ''), org, token };
}

async function request<T>(e: AdminEndpoint, method: 'GET' | 'POST', path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const params = new URLSearchParams(Object.entries(query).filter((q): q is [string, string] => q[1] !== undefined));
  const url = `${e.baseUrl}/v1/admin/orgs/${e.org}${path}${params.size ? `?${params}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${e.token}`, ...(method === 'POST' && { 'content-type': 'application/json' }) },
      body: method === 'POST' ? '{}' : undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (cause) {
    throw new LogUnreachable(`${e.baseUrl}: ${(cause as Error).message}`, { cause });
  }
  const text = await res.text();
  let body: { reason?: string; detail?: string; errors?: unknown } | undefined;
  try {
    body = text ? (JSON.parse(text) as typeof body) : undefined;
  } catch {
    body = undefined;
  }
  if (res.status >= 500) throw new LogUnreachable(`${method} ${path}: HTTP ${res.status}`);
  if (res.status >= 400) {
    const reason: string | undefined = body?.reason;
    const detail = body?.detail ?? (Array.isArray(body?.errors) ? body.errors.join('; ') : undefined);
    throw new RefusedByService(`${method} ${path} refused: HTTP ${res.status}${reason ? ` ${reason}` : ''}${detail ? `: ${detail}` : ''}`, reason);
  }
  return body as T;
}

function idArgument(args: ParsedArgs, what: string): string {
  const [id, extra] = args.positional;
  if (!id || extra !== undefined) throw new UsageError(`expected one ${what} id`);
  if (!UUID.test(id)) throw new UsageError(`"${id}" is not a ${what} id (a UUID)`);
  return id;
}

/** Every page when --all, else one (its `next` printed for --cursor). */
async function pages<T>(e: AdminEndpoint, path: string, key: string, query: Record<string, string | undefined>, all: boolean) {
  const items: T[] = [];
  let cursor = query.cursor;
  for (;;) {
    const page = await request<Record<string, T[]> & { next: string | null }>(e, 'GET', path, { ...query, cursor });
    items.push(...page[key]!);
    cursor = page.next ?? undefined;
    if (!all || !cursor) return { items, next: page.next };
  }
}

const print = (io: CliIo, args: ParsedArgs, value: unknown, lines: () => string[]) => {
  if (args.flags.has('json')) io.out(JSON.stringify(value, null, 2));
  else for (const line of lines()) io.out(line);
};

const accountLine = (a: AccountItem) => `${a.id}  ${a.status.padEnd(9)}  ${a.userName}${a.email && a.email !== a.userName ? `  <${a.email}>` : ''}`;
const deviceLine = (d: DeviceItem) => `${d.id}  ${d.status.padEnd(7)}  ${d.platform.padEnd(8)}  ${d.name}  account ${d.accountId}`;

export async function adminAccounts(args: ParsedArgs, io: CliIo): Promise<void> {
  const [sub, ...rest] = args.positional;
  const e = await endpoint(args, io);
  if (sub === 'search') {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const query = {
      q: flag(args, 'q'),
      field: flag(args, 'field'),
      match: flag(args, 'match'),
      status: flag(args, 'status'),
      limit: flag(args, 'limit'),
      cursor: flag(args, 'cursor'),
    };
    const found = await pages<AccountItem>(e, '/accounts', 'accounts', query, args.flags.has('all'));
    print(io, args, { accounts: found.items, next: found.next }, () => [
      ...found.items.map(accountLine),
      ...(found.next ? [`next: --cursor ${found.next}`] : []),
    ]);
    return;
  }
  if (sub === 'show') {
    const id = idArgument({ ...args, positional: rest }, 'account');
    const a = await request<AccountDetail>(e, 'GET', `/accounts/${id}`);
    print(io, args, a, () => [
      accountLine(a.account),
      ...(a.account.suspendedAt ? [`suspended ${a.account.suspendedAt} by ${a.account.suspendedBy}`] : []),
      `groups: ${a.directoryGroups.map((g) => g.displayName).join(', ') || '-'}`,
      `devices (${a.devices.length}):`,
      ...a.devices.map((d) => `  ${deviceLine(d)}`),
      `certificates (${a.certificates.length}):`,
      ...a.certificates.map((c) => `  ${c.id}  ${c.status.padEnd(10)}  until ${c.notAfter}  device ${c.deviceId}`),
      `MLS groups (${a.mlsGroups.length}):`,
      ...a.mlsGroups.map((g) => `  ${g.groupId}  epoch ${g.epoch}  leaf ${g.leafIndex}  device ${g.deviceId}`),
      `pending removals (${a.pendingRemovals.length}):`,
      ...a.pendingRemovals.map((r) => `  ${r.groupId}  leaf ${r.leafIndex}  ${r.reason}  planned ${r.plannedAt}`),
    ]);
    return;
  }
  throw new UsageError('admin accounts: search or show ID');
}

export async function adminDevices(args: ParsedArgs, io: CliIo): Promise<void> {
  const [sub, ...rest] = args.positional;
  const e = await endpoint(args, io);
  if (sub === 'list') {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    const query = {
      status: flag(args, 'status'),
      platform: flag(args, 'platform'),
      accountId: flag(args, 'account'),
      name: flag(args, 'name'),
      limit: flag(args, 'limit'),
      cursor: flag(args, 'cursor'),
    };
    const found = await pages<DeviceItem>(e, '/devices', 'devices', query, args.flags.has('all'));
    print(io, args, { devices: found.items, next: found.next }, () => [
      ...found.items.map(deviceLine),
      ...(found.next ? [`next: --cursor ${found.next}`] : []),
    ]);
    return;
  }
  if (sub === 'show') {
    const id = idArgument({ ...args, positional: rest }, 'device');
    const [device, groups] = await Promise.all([
      request<DeviceItem>(e, 'GET', `/devices/${id}`),
      request<{ groups: GroupItem[]; pendingRemovals: RemovalItem[] }>(e, 'GET', `/devices/${id}/groups`),
    ]);
    print(io, args, { ...device, ...groups }, () => [
      deviceLine(device),
      `MLS groups (${groups.groups.length}):`,
      ...groups.groups.map((g) => `  ${g.groupId}  epoch ${g.epoch}  leaf ${g.leafIndex}`),
      `pending removals (${groups.pendingRemovals.length}):`,
      ...groups.pendingRemovals.map((r) => `  ${r.groupId}  leaf ${r.leafIndex}  ${r.reason}  planned ${r.plannedAt}`),
    ]);
    return;
  }
  throw new UsageError('admin devices: list or show ID');
}

export async function adminLostDevice(args: ParsedArgs, io: CliIo): Promise<void> {
  const id = idArgument(args, 'device');
  const result = await request<Revocation>(await endpoint(args, io), 'POST', `/devices/${id}/lost`);
  print(io, args, result, () =>
    result.revoked
      ? [`device ${id} revoked: ${result.certificates.length} certificate(s) revoked, removal from its MLS groups planned`]
      : [`device ${id} was not active: nothing changed`],
  );
}

export async function adminSuspend(args: ParsedArgs, io: CliIo): Promise<void> {
  const id = idArgument(args, 'account');
  const result = await request<Revocation>(await endpoint(args, io), 'POST', `/accounts/${id}/suspend`);
  print(io, args, result, () => [
    result.changed
      ? `account ${id} suspended: ${result.devices.length} device(s) and ${result.certificates.length} certificate(s) revoked`
      : `account ${id} was suspended already`,
  ]);
}

export async function adminResume(args: ParsedArgs, io: CliIo): Promise<void> {
  const id = idArgument(args, 'account');
  const result = await request<{ account: AccountItem }>(await endpoint(args, io), 'POST', `/accounts/${id}/resume`);
  print(io, args, result, () => [`account ${id} is ${result.account.status} (its devices enroll again)`]);
}

const REPORTS = ['overdue-removals', 'devices-by-status', 'enrollments', 'certificate-expiry'];

export async function adminReports(args: ParsedArgs, io: CliIo): Promise<void> {
  const [name, extra] = args.positional;
  if (!name || extra !== undefined || !REPORTS.includes(name)) throw new UsageError(`admin reports: one of ${REPORTS.join(', ')}`);
  const report = await request<Report>(await endpoint(args, io), 'GET', `/reports/${name}`, {
    days: flag(args, 'days'),
    bucket: flag(args, 'bucket'),
  });
  print(io, args, report, () => {
    if (name === 'overdue-removals')
      return [
        `overdue removals (older than ${report.overdueAfterMinutes} min): ${report.total}`,
        ...report.byDsClient.map((c) => `  ds client ${c.dsClientId ?? '(none)'}: ${c.overdue} in ${c.groups} group(s)`),
        ...report.byGroup.map((g) => `  group ${g.groupId}: ${g.overdue}, oldest planned ${g.oldestPlannedAt}`),
      ];
    if (name === 'devices-by-status')
      return [
        ...Object.entries(report.devices).map(([s, n]) => `devices ${s}: ${n}`),
        ...Object.entries(report.accounts).map(([s, n]) => `accounts ${s}: ${n}`),
      ];
    if (name === 'enrollments') return [`enrollments: ${report.total}`, ...report.days.map((d) => `  ${d.day}  ${d.count}`)];
    return [`certificates expiring: ${report.total}`, ...report.days.map((d) => `  ${d.day}  ${d.count}`)];
  });
}
