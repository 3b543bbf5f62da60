import { openMlsProfile } from '#protocol';
import { parseVerifierKey, parseVerifierKeys } from '#tlog';
import { flag, type ParsedArgs } from './args.js';
import { LogRequestRefused, LogUnreachable, UsageError } from './exit-codes.js';
import type { CliIo } from './log-commands.js';

const TIMEOUT_MS = 30_000;

/**
 * `mlsid profile verify ORG --url URL [--key VKEY]`: fetches the org's MLS profile disclosure
 * and checks it is signed by the org's log key and unchanged since. With --key (the log's
 * verifier key obtained out of band, one or more lines) that key must have signed it; without
 * it, the keys the profile itself names are used and the result only shows self-consistency.
 */
export async function profileVerify(args: ParsedArgs, io: CliIo): Promise<void> {
  const org = args.positional[0];
  if (!org || args.positional.length > 1) throw new UsageError('profile verify takes one org slug');
  if (!/^[A-Za-z0-9._-]+$/.test(org)) throw new UsageError('the org must be an org slug');
  const base = flag(args, 'url')?.replace(/\/+$/, '');
  if (!base) throw new UsageError('--url is required');
  const url = `${base}/.well-known/mls-identity/${org}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (cause) {
    throw new LogUnreachable(`${url}: ${(cause as Error).message}`, { cause });
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 500) throw new LogUnreachable(`${url}: HTTP ${res.status}`);
  if (res.status !== 200) throw new LogRequestRefused(`${url}: HTTP ${res.status}`);
  let body: { profile?: unknown; signedNote?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new UsageError(`${url} did not answer JSON`);
  }
  if (typeof body.signedNote !== 'string' || typeof body.profile !== 'object' || body.profile === null) {
    throw new UsageError(`${url} did not answer { profile, signedNote }`);
  }
  const given = flag(args, 'key');
  let keys: string[];
  if (given) {
    keys = parseVerifierKeys(given);
  } else {
    const named = (body.profile as { transparency?: { verifierKeys?: unknown } }).transparency?.verifierKeys;
    if (!Array.isArray(named) || named.some((k) => typeof k !== 'string')) throw new UsageError('the profile names no log key; pass --key');
    keys = parseVerifierKeys((named as string[]).join('\n'));
    io.err(`no --key: checked against the log keys the profile names (${keys.join(', ')}); compare one with a key obtained out of band`);
  }
  const { origin } = openMlsProfile(body.signedNote, body.profile, keys.map(parseVerifierKey));
  const profile = body.profile as { org?: unknown; mls?: { cipherSuites?: { code: number }[] } };
  if (profile.org !== org) throw new UsageError(`the profile is of org ${String(profile.org)}, not ${org}`);
  io.out(`ok ${org} profile signed by the log key of ${origin}`);
  io.out(`cipher suites: ${(profile.mls?.cipherSuites ?? []).map((s) => `0x${s.code.toString(16).padStart(4, '0')}`).join(', ')}`);
}
