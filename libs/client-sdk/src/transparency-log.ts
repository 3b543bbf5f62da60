// The device's view of its org's key-transparency log (`/kt/{org}/...`, device-signed reads):
// a pinned log key, the last checkpoint it accepted (kept in SdkStorage), and proofs that
// every newer checkpoint extends it (RFC 9162 §2.1.4 consistency) and that entries are in
// it (§2.1.3 inclusion). A log that forks or rolls back is reported, never followed.
// Everything is checked by libs/tlog, the same verifier the mlsid CLI uses (key parsing and
// note signatures included), so a browser and the CLI accept exactly the same log.
import {
  acceptCheckpoint,
  assertConsistent,
  decodeKeyEvent,
  followKeyRotations,
  LogInconsistent as TlogLogInconsistent,
  NoteUnverified,
  parseVerifierKey,
  parseVerifierKeys,
  restoreVerifierState,
  TlogError,
  verifyEntryInclusion,
  type KeyEvent,
  type LogVerifierConfig,
  type NoteVerifier,
  type VerifierState,
} from '#tlog';
import { decodeBase64 } from './base64.js';
import type { SigningDevice } from './device-request-signature.js';
import { LogInconsistent, LogVerificationFailed, ResponseMalformed } from './errors.js';
import type { ServiceTransport } from './service-transport.js';
import { readJson, writeJson, type SdkStorage } from './storage.js';

export interface LogEntry {
  readonly index: number;
  readonly event: KeyEvent;
}

export interface ProvenHistory {
  /** The checkpoint the entries are proven in (already accepted as consistent). */
  readonly checkpoint: VerifierState;
  readonly entries: readonly LogEntry[];
}

export interface TransparencyLogOptions {
  /**
   * The log's verifier key obtained out of band (`GET /kt/{org}/key` on a trusted channel, or
   * shipped with the app). Without it the first key seen is pinned (trust on first use).
   */
  verifierKey?: string;
}

/** The pinned log keys: their text as stored (one per line), and tlog's verifiers for them. */
interface PinnedKey {
  readonly text: string;
  readonly verifiers: NoteVerifier[];
}

function pinned(text: string): PinnedKey {
  return { text, verifiers: parseVerifierKeys(text).map(parseVerifierKey) };
}

interface StoredLog {
  key: string;
  checkpoint?: string;
}

function translate(e: unknown, what: string): never {
  if (e instanceof TlogLogInconsistent) throw new LogInconsistent(`${what}: ${e.message}`, { cause: e });
  if (e instanceof TlogError) throw new LogVerificationFailed(`${what}: ${e.message}`, { cause: e });
  throw e;
}

export class TransparencyLog {
  private key: PinnedKey | undefined;
  /** Checkpoint updates run one at a time, so that two lookups never race on the stored state. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly transport: ServiceTransport,
    private readonly org: string,
    private readonly device: () => SigningDevice,
    private readonly storage: SdkStorage,
    private readonly options: TransparencyLogOptions = {},
  ) {}

  private get storageKey(): string {
    return `mls-identity/kt/${this.org}`;
  }

  private path(rest: string): string {
    return `/kt/${encodeURIComponent(this.org)}/${rest}`;
  }

  private get(rest: string): Promise<string> {
    return this.transport.text('GET', this.path(rest), { device: this.device() });
  }

  private getJson<T>(rest: string): Promise<T> {
    return this.transport.json<T>('GET', this.path(rest), { device: this.device() });
  }

  /** The pinned key: given, else stored, else fetched now and pinned. */
  private async verifierKey(): Promise<PinnedKey> {
    if (this.key) return this.key;
    const stored = await readJson<StoredLog>(this.storage, this.storageKey);
    const given = this.options.verifierKey;
    // the stored pin may have followed key rotations from the given key: it must contain it
    if (given && stored && !stored.key.split('\n').includes(given.trim())) {
      throw new LogVerificationFailed('the stored log state pins another log key than the one given');
    }
    // during a log key rotation's overlap the key endpoint lists both keys: both are pinned
    const text = (stored?.key ?? given ?? (await this.get('key'))).trim();
    try {
      this.key = pinned(text);
    } catch (e) {
      return translate(e, 'the log verifier key');
    }
    if (!stored) await writeJson(this.storage, this.storageKey, { key: this.key.text } satisfies StoredLog);
    return this.key;
  }

  private async config(): Promise<LogVerifierConfig> {
    const { verifiers } = await this.verifierKey();
    return { origin: verifiers[0]!.name, verifiers };
  }

  /**
   * After a log key rotation, checkpoints are signed by a key not pinned yet: the log's
   * rotation statements (each signed by the replaced key and its successor) extend the pin.
   * Returns whether a key was added.
   */
  private async followRotations(): Promise<boolean> {
    const answer = await this.getJson<{ rotations?: { statement?: unknown }[] }>('key/rotations');
    const statements = Array.isArray(answer?.rotations)
      ? answer.rotations.flatMap((r) => (typeof r?.statement === 'string' ? [r.statement] : []))
      : [];
    const current = await this.verifierKey();
    const trusted = followKeyRotations(current.text.split('\n'), statements);
    if (trusted.length === current.text.split('\n').length) return false;
    this.key = pinned(trusted.join('\n'));
    const stored = await readJson<StoredLog>(this.storage, this.storageKey);
    await writeJson(this.storage, this.storageKey, { ...stored, key: this.key.text } satisfies StoredLog);
    return true;
  }

  /** The last checkpoint this device accepted, re-verified; null before the first. */
  async lastAccepted(): Promise<VerifierState | null> {
    const stored = await readJson<StoredLog>(this.storage, this.storageKey);
    if (!stored?.checkpoint) return null;
    try {
      return restoreVerifierState(await this.config(), stored.checkpoint);
    } catch (e) {
      return translate(e, 'the stored checkpoint');
    }
  }

  private async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    if (from === 0 || from === to) return [];
    const answer = await this.getJson<{ proof?: unknown }>(`proof/consistency?from=${from}&to=${to}`);
    if (!Array.isArray(answer?.proof) || answer.proof.some((p) => typeof p !== 'string')) {
      throw new ResponseMalformed('the consistency proof is not a list of base64 hashes');
    }
    return (answer.proof as string[]).map((p) => decodeBase64(p, 'consistency proof hash'));
  }

  /**
   * Accepts `note` if it is signed by the pinned key and consistent with the last accepted
   * checkpoint. A newer note becomes the stored state; an older one (another request
   * advanced the state meanwhile) must be a prefix of it. Returns the accepted `note`.
   * Throws LogInconsistent for a fork or rollback, LogVerificationFailed for bad signatures.
   */
  accept(note: string): Promise<VerifierState> {
    const run = this.queue.then(() => this.acceptNow(note));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async acceptNow(note: string): Promise<VerifierState> {
    let config = await this.config();
    try {
      acceptCheckpoint(config, null, note, []);
    } catch (e) {
      if (e instanceof NoteUnverified && (await this.followRotations())) config = await this.config();
    }
    const previous = await this.lastAccepted();
    let next: VerifierState;
    try {
      next = acceptCheckpoint(config, null, note, []);
      if (previous) {
        const [older, newer] = next.checkpoint.size >= previous.checkpoint.size ? [previous, next] : [next, previous];
        const proof = await this.consistencyProof(older.checkpoint.size, newer.checkpoint.size);
        assertConsistent(older.checkpoint, newer.checkpoint, proof);
      }
    } catch (e) {
      return translate(e, `checkpoint ${previous ? `after size ${previous.checkpoint.size}` : ''}`.trim());
    }
    if (!previous || next.checkpoint.size > previous.checkpoint.size) {
      await writeJson(this.storage, this.storageKey, { key: (await this.verifierKey()).text, checkpoint: next.note } satisfies StoredLog);
    }
    return next;
  }

  /** Fetches the latest checkpoint and accepts it. */
  async refresh(): Promise<VerifierState> {
    return this.accept(await this.get('checkpoint'));
  }

  /**
   * The account's entries as the service lists them (`/kt/{org}/accounts/{id}`), each proven
   * included in a checkpoint consistent with everything this device saw, each decoded and
   * checked to be about this account.
   */
  async accountHistory(accountId: string): Promise<ProvenHistory> {
    const answer = await this.getJson<{ checkpoint?: unknown; entries?: unknown }>(`accounts/${encodeURIComponent(accountId)}`);
    if (typeof answer?.checkpoint !== 'string' || !Array.isArray(answer.entries)) {
      throw new ResponseMalformed('the account history has no checkpoint or entries');
    }
    const checkpoint = await this.accept(answer.checkpoint);
    const entries: LogEntry[] = [];
    let lastIndex = -1;
    for (const raw of answer.entries as { index?: unknown; entry?: unknown; inclusionProof?: unknown }[]) {
      if (!Number.isSafeInteger(raw?.index) || typeof raw.entry !== 'string' || !Array.isArray(raw.inclusionProof)) {
        throw new ResponseMalformed('an account history entry lacks index, entry or inclusionProof');
      }
      const index = raw.index as number;
      if (index <= lastIndex) throw new LogVerificationFailed('the account history is not in log order');
      lastIndex = index;
      const bytes = decodeBase64(raw.entry, 'log entry');
      const proof = (raw.inclusionProof as unknown[]).map((p) => decodeBase64(String(p), 'inclusion proof hash'));
      let event: KeyEvent;
      try {
        verifyEntryInclusion(checkpoint.checkpoint, index, bytes, proof);
        event = decodeKeyEvent(bytes);
      } catch (e) {
        return translate(e, `entry ${index}`);
      }
      if (event.account !== accountId) throw new LogVerificationFailed(`entry ${index} is not about account ${accountId}`);
      entries.push({ index, event });
    }
    return { checkpoint, entries };
  }
}
