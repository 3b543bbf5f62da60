import {
  acceptCheckpointFromTiles,
  decodeEntryBundle,
  decodeKeyEvent,
  entryBundlePath,
  entryBundlesForTreeSize,
  followKeyRotations,
  NoteUnverified,
  parseVerifierKey,
  parseVerifierKeys,
  restoreVerifierState,
  verifyEntriesMatchCheckpoint,
  verifyEntryInclusion,
  type KeyEvent,
  type LogVerifierConfig,
  type VerifierState,
} from '#tlog';
import { flag, type ParsedArgs } from './args.js';
import { AccountHistoryMismatch, LogRequestRefused, UsageError } from './exit-codes.js';
import { fetchLog, fetchLogText, httpTileReader, resolveEndpoint, type LogEndpoint } from './log-endpoint.js';
import { formatRemovalLatency, removalLatency } from './removal-latency.js';
import { defaultStatePath, readStateFile, writeStateFile } from './state-file.js';

export interface CliIo {
  cwd: string;
  out(line: string): void;
  err(line: string): void;
}

interface TrustedLog {
  endpoint: LogEndpoint;
  config: LogVerifierConfig;
  verifierKey: string;
  state: VerifierState | null;
  statePath: string;
}

/** The pinned key (--key, else the state file's, else fetched and pinned on first use) and the last accepted checkpoint. */
async function openTrustedLog(args: ParsedArgs, io: CliIo): Promise<TrustedLog> {
  const endpoint = await resolveEndpoint(args, io.cwd);
  const statePath = flag(args, 'state') ?? defaultStatePath(io.cwd, endpoint.org);
  const saved = await readStateFile(statePath);
  const givenKey = flag(args, 'key');
  if (givenKey && saved && !parseVerifierKeys(saved.verifierKey).includes(givenKey.trim())) {
    throw new UsageError(`${statePath} pins another log key (${saved.verifierKey}); use another --state to follow a new key`);
  }
  let verifierKey = saved?.verifierKey ?? givenKey;
  if (!verifierKey) {
    // during a key rotation's overlap the log publishes two keys (one per line): both are pinned
    verifierKey = (await fetchLogText(endpoint, 'key')).trim();
    io.err(`pinned log key ${verifierKey.replaceAll('\n', ', ')} (trust on first use; compare it with one obtained out of band)`);
  }
  const config = verifierConfig(verifierKey);
  const state = saved ? restoreVerifierState(config, saved.checkpoint) : null;
  return { endpoint, config, verifierKey, state, statePath };
}

/** The pinned keys (one per line; all name the log's origin). */
function verifierConfig(verifierKey: string): LogVerifierConfig {
  const verifiers = parseVerifierKeys(verifierKey).map(parseVerifierKey);
  return { origin: verifiers[0]!.name, verifiers };
}

/**
 * A checkpoint signed by no pinned key may come after a log key rotation: the log's rotation
 * statements, each signed by the key it replaces and by its successor, extend the pin. Only
 * keys reached from a pinned one are added; anything else still fails.
 */
async function followRotations(log: TrustedLog, io: CliIo): Promise<boolean> {
  const raw = Buffer.from(await fetchLog(log.endpoint, 'key/rotations')).toString('utf8');
  let statements: string[];
  try {
    statements = (JSON.parse(raw) as { rotations: { statement: string }[] }).rotations.map((r) => r.statement);
  } catch {
    return false;
  }
  const pinned = parseVerifierKeys(log.verifierKey);
  const trusted = followKeyRotations(pinned, statements);
  if (trusted.length === pinned.length) return false;
  log.verifierKey = trusted.join('\n');
  log.config = verifierConfig(log.verifierKey);
  io.err(`followed log key rotation: now trusting ${trusted.slice(pinned.length).join(', ')}`);
  return true;
}

/** Checks `note` against the key and, through tiles, against the last accepted checkpoint. */
async function advance(log: TrustedLog, note: string, io: CliIo): Promise<VerifierState> {
  let next: VerifierState;
  try {
    next = await acceptCheckpointFromTiles(log.config, log.state, note, httpTileReader(log.endpoint));
  } catch (e) {
    if (!(e instanceof NoteUnverified) || !(await followRotations(log, io))) throw e;
    next = await acceptCheckpointFromTiles(log.config, log.state, note, httpTileReader(log.endpoint));
  }
  if (log.state) io.err(`checkpoint ${next.checkpoint.size} is consistent with the last seen (${log.state.checkpoint.size})`);
  return next;
}

async function save(log: TrustedLog, state: VerifierState): Promise<void> {
  await writeStateFile(log.statePath, { origin: log.config.origin, verifierKey: log.verifierKey, checkpoint: state.note });
}

const PREFETCH = 8;

/** Every entry of the tree of `size`, from entry bundles fetched a few at a time, each decoded strictly. */
async function* replayEntries(endpoint: LogEndpoint, size: number, seen?: (index: number, event: KeyEvent) => void): AsyncGenerator<Uint8Array> {
  const bundles = entryBundlesForTreeSize(size);
  const inFlight: { width: number; body: Promise<Uint8Array> }[] = [];
  const refill = () => {
    while (inFlight.length < PREFETCH) {
      const next = bundles.next();
      if (next.done) return;
      const body = fetchLog(endpoint, entryBundlePath(next.value));
      body.catch(() => undefined);
      inFlight.push({ width: next.value.width, body });
    }
  };
  let index = 0;
  refill();
  while (inFlight.length > 0) {
    const { width, body } = inFlight.shift()!;
    refill();
    for (const entry of decodeEntryBundle(await body, width)) {
      const event = decodeKeyEvent(entry);
      seen?.(index, event);
      index += 1;
      yield entry;
    }
  }
}

/** `mlsid log verify`: signature, consistency with the last seen checkpoint, full replay. */
export async function logVerify(args: ParsedArgs, io: CliIo): Promise<void> {
  const log = await openTrustedLog(args, io);
  const note = await fetchLogText(log.endpoint, 'checkpoint');
  const next = await advance(log, note, io);
  await verifyEntriesMatchCheckpoint(next.checkpoint, replayEntries(log.endpoint, next.checkpoint.size));
  await save(log, next);
  io.out(`ok ${next.checkpoint.origin} size ${next.checkpoint.size} root ${Buffer.from(next.checkpoint.rootHash).toString('base64')}`);
}

interface HistoryJson {
  checkpoint: string;
  entries: { index: number; type: string; entry: string; inclusionProof: string[] }[];
}

/**
 * `mlsid log account`: the account's history as the server states it, each entry proven in a
 * checkpoint that extends the last seen one, and (by replaying the whole log) proven complete:
 * no entry about the account is left out.
 */
export async function logAccount(args: ParsedArgs, io: CliIo): Promise<void> {
  const accountId = flag(args, 'account');
  if (!accountId) throw new UsageError('--account is required');
  const log = await openTrustedLog(args, io);
  const raw = Buffer.from(await fetchLog(log.endpoint, `accounts/${encodeURIComponent(accountId)}`)).toString('utf8');
  let history: HistoryJson;
  try {
    history = JSON.parse(raw) as HistoryJson;
  } catch {
    throw new LogRequestRefused('the account history is not JSON');
  }
  if (typeof history?.checkpoint !== 'string' || !Array.isArray(history.entries))
    throw new LogRequestRefused('the account history has no checkpoint or entries');
  const next = await advance(log, history.checkpoint, io);
  const stated: number[] = [];
  const lines: string[] = [];
  for (const e of history.entries) {
    const entry = new Uint8Array(Buffer.from(String(e.entry), 'base64'));
    const event = decodeKeyEvent(entry);
    if (event.account !== accountId || event.type !== e.type) {
      throw new AccountHistoryMismatch(`entry ${e.index} is not the ${e.type} of account ${accountId} it is listed as`);
    }
    verifyEntryInclusion(
      next.checkpoint,
      e.index,
      entry,
      (e.inclusionProof ?? []).map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
    );
    stated.push(e.index);
    const digest = event.certificateSha256 ? ` certificate ${Buffer.from(event.certificateSha256).toString('hex')}` : '';
    lines.push(
      `${e.index} ${new Date(event.timestamp).toISOString()} ${event.type}${event.device ? ` device ${event.device}` : ''}${digest}${event.reason ? ` (${event.reason})` : ''}`,
    );
  }
  const replayed: number[] = [];
  await verifyEntriesMatchCheckpoint(
    next.checkpoint,
    replayEntries(log.endpoint, next.checkpoint.size, (index, event) => {
      if (event.account === accountId) replayed.push(index);
    }),
  );
  if (replayed.join() !== stated.join()) {
    throw new AccountHistoryMismatch(`the log holds entries [${replayed.join(', ')}] about the account, the server listed [${stated.join(', ')}]`);
  }
  await save(log, next);
  for (const line of lines) io.out(line);
  io.out(`ok account ${accountId}: ${stated.length} entries, complete in ${next.checkpoint.origin} size ${next.checkpoint.size}`);
}

/**
 * `mlsid log removal-latency`: the distribution of removal latencies (planned → observed
 * committed) and the removals still open, from the log alone: the checkpoint is verified as
 * by `log verify` and every entry replayed, so the figures cover exactly the signed log.
 */
export async function logRemovalLatency(args: ParsedArgs, io: CliIo): Promise<void> {
  const log = await openTrustedLog(args, io);
  const note = await fetchLogText(log.endpoint, 'checkpoint');
  const next = await advance(log, note, io);
  const events: KeyEvent[] = [];
  await verifyEntriesMatchCheckpoint(
    next.checkpoint,
    replayEntries(log.endpoint, next.checkpoint.size, (_, event) => {
      if (event.removal) events.push(event);
    }),
  );
  await save(log, next);
  const report = removalLatency(events);
  if (args.flags.get('json') === true) {
    io.out(JSON.stringify({ ...report, latenciesMs: undefined, origin: next.checkpoint.origin, size: next.checkpoint.size }));
    return;
  }
  for (const line of formatRemovalLatency(report, Date.now())) io.out(line);
  io.out(`ok ${next.checkpoint.origin} size ${next.checkpoint.size}`);
}

/**
 * The `audit_anchor` entries of the org's log (the log verified as by `log verify`, the state
 * file advanced), and the org id they name.
 */
export async function anchorsInVerifiedLog(
  args: ParsedArgs,
  io: CliIo,
): Promise<{ org: string | null; anchors: { seq: string; hash: string; logIndex: number }[] }> {
  const log = await openTrustedLog(args, io);
  const note = await fetchLogText(log.endpoint, 'checkpoint');
  const next = await advance(log, note, io);
  const anchors: { seq: string; hash: string; logIndex: number }[] = [];
  let org: string | null = null;
  await verifyEntriesMatchCheckpoint(
    next.checkpoint,
    replayEntries(log.endpoint, next.checkpoint.size, (index, event) => {
      org ??= event.org;
      if (event.auditAnchor)
        anchors.push({
          seq: String(event.auditAnchor.sequence),
          hash: Buffer.from(event.auditAnchor.chainHeadSha256).toString('hex'),
          logIndex: index,
        });
    }),
  );
  await save(log, next);
  io.err(`${anchors.length} audit anchors in ${next.checkpoint.origin} size ${next.checkpoint.size}`);
  return { org, anchors };
}
