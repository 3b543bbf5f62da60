import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ServiceUnavailable } from '#client-sdk';
import { flag, type ParsedArgs } from './args.js';
import { readDevCredentials } from './dev-credentials.js';
import { RefusedByService, UsageError } from './exit-codes.js';
import type { CliIo } from './log-commands.js';

interface Started {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

interface Issued {
  token: string;
  expiresAt: string;
  actor: string;
  org: string;
  roles: string[];
}

/** RFC 8628 §3.5: slow_down adds 5 seconds to the interval. */
const SLOW_DOWN_STEP_S = 5;

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new ServiceUnavailable(`the service at ${new URL(url).origin} cannot be reached (${(e as Error).message})`);
  }
  if (res.status >= 500) throw new ServiceUnavailable(`the service answered HTTP ${res.status}`);
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  return { status: res.status, body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown> };
}

function refusal(what: string, r: { status: number; body: Record<string, unknown> }): RefusedByService {
  const reason = typeof r.body.reason === 'string' ? r.body.reason : undefined;
  const detail = typeof r.body.detail === 'string' ? r.body.detail : `HTTP ${r.status}`;
  return new RefusedByService(`${what} refused${reason ? ` (${reason})` : ''}: ${detail}`, reason);
}

/**
 * `mlsid admin login --org ORG`: the service's device-flow login. Prints the code and the page
 * to open (stderr), polls until the admin has signed in there, then prints
 * `export MLSID_ADMIN_TOKEN=…` on stdout (for `eval "$(mlsid admin login --org acme)"`), or with
 * --token-file writes the token to that file, readable by its owner only (0600).
 */
export async function adminLogin(args: ParsedArgs, io: CliIo, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const dev = await readDevCredentials(io.cwd);
  const baseUrl = (flag(args, 'url') ?? dev.baseUrl)?.replace(/\/+$/, '');
  const org = flag(args, 'org') ?? dev.org;
  if (!baseUrl) throw new UsageError('--url is required (or run dev mode, which writes .data/dev-credentials.json)');
  if (!org) throw new UsageError('--org is required');
  const started = await post(`${baseUrl}/v1/admin/orgs/${encodeURIComponent(org)}/cli-logins`, {});
  if (started.status !== 201 && started.status !== 200) throw refusal('admin login', started);
  const s = started.body as unknown as Started;
  io.err(`To sign in as an admin of ${org}, open ${s.verificationUri} and enter the code ${s.userCode}`);
  io.err(`(or open ${s.verificationUriComplete})`);
  let interval = s.interval;
  const deadline = Date.now() + s.expiresIn * 1000;
  for (;;) {
    const polled = await post(`${baseUrl}/v1/admin/cli-logins/token`, { deviceCode: s.deviceCode });
    if (polled.status === 200) {
      const issued = polled.body as unknown as Issued;
      await deliver(issued, flag(args, 'token-file'), io);
      return;
    }
    const reason = polled.body.reason;
    if (reason === 'cli_login_slow_down') interval += SLOW_DOWN_STEP_S;
    else if (reason !== 'cli_login_pending') throw refusal('admin login', polled);
    if (Date.now() + interval * 1000 > deadline)
      throw new RefusedByService('admin login refused (expired): nobody signed in before the code expired', 'cli_login_expired');
    await sleep(interval * 1000);
  }
}

async function deliver(issued: Issued, tokenFile: string | undefined, io: CliIo): Promise<void> {
  io.err(`Signed in as ${issued.actor} (${issued.roles.join(', ')}) in ${issued.org}; the token expires at ${issued.expiresAt}.`);
  if (tokenFile) {
    const file = path.resolve(io.cwd, tokenFile);
    await writeFile(file, `${issued.token}\n`, { mode: 0o600 });
    // writeFile's mode applies only to a file it creates: an existing one is narrowed too.
    await chmod(file, 0o600);
    io.err(`Token written to ${file} (0600).`);
    return;
  }
  io.out(`export MLSID_ADMIN_TOKEN=${issued.token}`);
}
