import { tilePath, type Tile, type TileReader } from '#tlog';
import { flag, type ParsedArgs } from './args.js';
import { readDevCredentials } from './dev-credentials.js';
import { LogRequestRefused, LogUnreachable, UsageError } from './exit-codes.js';

/** Where a log is and how to authenticate to it. */
export interface LogEndpoint {
  baseUrl: string;
  org: string;
  token?: string;
}

/** --url/--org/--token, falling back to ./.data/dev-credentials.json (the DS token, else admin). */
export async function resolveEndpoint(args: ParsedArgs, cwd: string): Promise<LogEndpoint> {
  let url = flag(args, 'url');
  let org = flag(args, 'org');
  let token = flag(args, 'token');
  if (!url || !token || !org) {
    const dev = await readDevCredentials(cwd);
    if (!url) {
      url = dev.baseUrl;
      token ??= dev.dsToken ?? dev.adminToken;
    }
    org ??= dev.org;
  }
  if (!url) throw new UsageError('--url is required (no ./.data/dev-credentials.json found)');
  if (!org) throw new UsageError('--org is required');
  if (!/^[A-Za-z0-9._-]+$/.test(org)) throw new UsageError('--org must be an org slug');
  return { baseUrl: url.replace(/\/+$/, ''), org, ...(token !== undefined && { token }) };
}

const TIMEOUT_MS = 30_000;

/** GET a path under /kt/{org}/; network failures and 5xx are LogUnreachable, 4xx LogRequestRefused. */
export async function fetchLog(endpoint: LogEndpoint, relative: string): Promise<Uint8Array> {
  const url = `${endpoint.baseUrl}/kt/${endpoint.org}/${relative}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {},
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (cause) {
    throw new LogUnreachable(`${url}: ${(cause as Error).message}`, { cause });
  }
  const body = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
  if (res.status >= 500) throw new LogUnreachable(`${url}: HTTP ${res.status}`);
  if (res.status !== 200) {
    let detail = '';
    try {
      detail = `: ${JSON.parse(Buffer.from(body).toString('utf8')).detail}`;
    } catch {
      /* not a problem document */
    }
    throw new LogRequestRefused(`${url}: HTTP ${res.status}${detail}`);
  }
  return body;
}

export async function fetchLogText(endpoint: LogEndpoint, relative: string): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await fetchLog(endpoint, relative));
}

/** Tiles over HTTP, fetched concurrently. */
export function httpTileReader(endpoint: LogEndpoint): TileReader {
  return { readTiles: (tiles: readonly Tile[]) => Promise.all(tiles.map((t) => fetchLog(endpoint, tilePath(t)))) };
}
