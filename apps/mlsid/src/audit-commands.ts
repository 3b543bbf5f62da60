import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuditChainVerifier, type AuditAnchor, type AuditChainEntry, type AuditChainVerdict } from '#protocol';
import { flag, type ParsedArgs } from './args.js';
import { AuditChainBroken, LogRequestRefused, LogUnreachable, UsageError } from './exit-codes.js';
import { anchorsInVerifiedLog, type CliIo } from './log-commands.js';
import { readDevCredentials } from './dev-credentials.js';
import { resolveEndpoint as resolveLogEndpoint, type LogEndpoint } from './log-endpoint.js';

/** As for the log, but in dev mode the audit log is read with the admin token (a DS token may not read it). */
async function resolveEndpoint(args: ParsedArgs, cwd: string): Promise<LogEndpoint> {
  const endpoint = await resolveLogEndpoint(args, cwd);
  if (flag(args, 'token') !== undefined || flag(args, 'url') !== undefined) return endpoint;
  const dev = await readDevCredentials(cwd);
  return dev.adminToken ? { ...endpoint, token: dev.adminToken } : endpoint;
}

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const FILTERS = ['actor', 'action', 'target', 'since', 'until'] as const;
const TIMEOUT_MS = 120_000;

/** GET the org's audit export (JSON lines) from the admin API. */
async function fetchExport(endpoint: LogEndpoint, args: ParsedArgs): Promise<string> {
  const query = new URLSearchParams();
  for (const f of FILTERS) {
    const v = flag(args, f);
    if (v !== undefined) query.set(f, v);
  }
  const url = `${endpoint.baseUrl}/v1/admin/orgs/${endpoint.org}/audit-events/export${query.size > 0 ? `?${query}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (cause) {
    throw new LogUnreachable(`${url}: ${(cause as Error).message}`, { cause });
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 500) throw new LogUnreachable(`${url}: HTTP ${res.status}`);
  if (res.status !== 200) {
    let detail = '';
    try {
      detail = `: ${JSON.parse(text).detail}`;
    } catch {
      /* not a problem document */
    }
    throw new LogRequestRefused(`${url}: HTTP ${res.status}${detail}`);
  }
  return text;
}

function parseLines(text: string, source: string): AuditChainEntry[] {
  const entries: AuditChainEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new UsageError(`${source}:${i + 1} is not JSON`);
    }
    if (typeof e !== 'object' || e === null || typeof (e as AuditChainEntry).seq !== 'string' || typeof (e as AuditChainEntry).hash !== 'string')
      throw new UsageError(`${source}:${i + 1} is not an audit export line`);
    entries.push(e as AuditChainEntry);
  }
  return entries;
}

/** `mlsid audit export`: the org's audit log as JSON lines, to stdout or --out. */
export async function auditExport(args: ParsedArgs, io: CliIo): Promise<void> {
  const endpoint = await resolveEndpoint(args, io.cwd);
  const text = await fetchExport(endpoint, args);
  const out = flag(args, 'out');
  if (out) {
    await writeFile(path.resolve(io.cwd, out), text, { mode: 0o600 });
    io.err(`wrote ${text.split('\n').filter(Boolean).length} entries to ${out}`);
  } else {
    for (const line of text.split('\n')) if (line !== '') io.out(line);
  }
}

/**
 * `mlsid audit verify`: the chain of an export (--file, or fetched from the API) recomputed
 * entry by entry, and checked against the `audit_anchor` entries of the org's KT log, which is
 * itself verified as `log verify` does (pinned key, consistency, full replay).
 */
export async function auditVerify(args: ParsedArgs, io: CliIo): Promise<void> {
  const file = flag(args, 'file');
  const noAnchors = args.flags.get('no-anchors') === true;
  if (noAnchors && !file) throw new UsageError('--no-anchors applies to --file only: an export fetched from the service is checked against its log');
  // The anchors are in the org's KT log: --file needs the service too, unless --no-anchors.
  const endpoint = noAnchors ? null : await resolveEndpoint(args, io.cwd);
  const text = file
    ? await readFile(path.resolve(io.cwd, file), 'utf8').catch((e: Error) => Promise.reject(new UsageError(`cannot read ${file}: ${e.message}`)))
    : await fetchExport(endpoint!, args);
  const entries = parseLines(text, file ?? 'export');
  const orgId = entries[0]?.orgId ?? null;
  let anchors: AuditAnchor[] = [];
  if (!noAnchors) {
    const inLog = await anchorsInVerifiedLog(args, io);
    if (orgId !== null && inLog.org !== null && inLog.org !== orgId)
      throw new UsageError(`the export is of org ${orgId}, the KT log of org ${inLog.org}`);
    anchors = inLog.anchors;
  }
  const verifier = new AuditChainVerifier(sha256, anchors);
  for (const e of entries) if (!verifier.push(e)) break;
  const verdict: AuditChainVerdict = verifier.finish();
  if (!verdict.ok) throw new AuditChainBroken(`audit chain broken at sequence ${verdict.seq} (${verdict.reason}): ${verdict.detail}`, verdict.reason);
  io.out(
    `ok audit chain${orgId ? ` of org ${orgId}` : ''}: ${verdict.entries} entries, head ${verdict.headSeq} ${verdict.headHash}, ` +
      (noAnchors
        ? 'anchors not checked'
        : `${verdict.anchorsChecked} KT log anchors checked (last anchored sequence ${verdict.lastAnchoredSeq ?? 'none'})`),
  );
}
