/**
 * The tamper-evident audit chain: how one audit entry is encoded for hashing, and how a
 * sequence of entries (an export, or the rows the service reads back) is verified against
 * itself and against the anchors the key-transparency log holds. Shared by the service, which
 * computes the hashes, and `mlsid audit verify`, which checks them.
 *
 * Version 1: hash = SHA-256(utf8("mlsid-audit-chain-v1\n" || canonical JSON of the array
 *   [version, orgId, seq, createdAt, actor, actorRoles, actorVia, action, target, sourceIp,
 *    requestId, details, before, after, prevHash]))
 * where canonical JSON sorts object keys (by UTF-16 code units) at every depth, has no
 * whitespace, and `seq` is a decimal string; `createdAt` is ISO 8601 with milliseconds (UTC),
 * `prevHash` is lower-case hex (64 zeros before the first entry of an org). The hash itself is
 * computed by the caller (node:crypto here and in the CLI) so this file stays pure.
 */
import { canonicalJson } from './canonical-json.js';

export const AUDIT_CHAIN_VERSION = 1;
const DOMAIN = 'mlsid-audit-chain-v1\n';
export const AUDIT_CHAIN_GENESIS = '0'.repeat(64);

/** The fields of one audit entry that its hash covers (the export's line, minus `hash` and `id`). */
export interface AuditChainFields {
  v: number;
  orgId: string | null;
  /** Decimal, 1 for an org's first entry. */
  seq: string;
  /** ISO 8601 with milliseconds, UTC. */
  createdAt: string;
  actor: string;
  actorRoles: readonly string[];
  actorVia: string | null;
  action: string;
  target: string;
  sourceIp: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  prevHash: string;
}

export interface AuditChainEntry extends AuditChainFields {
  hash: string;
}

export type Sha256 = (bytes: Uint8Array) => Uint8Array;

/** The bytes an entry's hash is computed over. */
export function auditEntryBytes(e: AuditChainFields): Uint8Array {
  if (e.v !== AUDIT_CHAIN_VERSION) throw new Error(`unknown audit chain version ${e.v}`);
  const fields = [
    e.v,
    e.orgId,
    e.seq,
    e.createdAt,
    e.actor,
    [...e.actorRoles],
    e.actorVia,
    e.action,
    e.target,
    e.sourceIp,
    e.requestId,
    e.details ?? {},
    e.before,
    e.after,
    e.prevHash,
  ];
  return new TextEncoder().encode(DOMAIN + canonicalJson(fields));
}

const HEX = '0123456789abcdef';
function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

export function auditEntryHash(e: AuditChainFields, sha256: Sha256): string {
  return hex(sha256(auditEntryBytes(e)));
}

/** A (sequence, chain head) pair the key-transparency log holds for an org. */
export interface AuditAnchor {
  seq: string;
  hash: string;
  /** Where it is in the KT log, for messages. */
  logIndex?: number;
  /** Who holds it, for messages (default: the KT log). */
  source?: string;
}

function anchorSource(a: AuditAnchor): string {
  return a.source ?? `the KT log${a.logIndex !== undefined ? ` (entry ${a.logIndex})` : ''}`;
}

export type AuditChainBreak = 'edited' | 'deleted' | 'reordered' | 'anchor_mismatch';

export type AuditChainVerdict =
  | { ok: true; entries: number; headSeq: string; headHash: string; anchorsChecked: number; lastAnchoredSeq: string | null }
  | { ok: false; seq: string; reason: AuditChainBreak; detail: string; entries: number };

/**
 * Verifies entries pushed in chain order (an org's whole chain, from sequence 1): each
 * entry's hash recomputed (`edited`), its sequence the next one (`deleted` for a gap,
 * `reordered` for one out of order), its prevHash the previous entry's hash, and each anchor's
 * hash equal to the entry's at that sequence (`anchor_mismatch`); an anchor past the last
 * entry means the tail was cut (`deleted`). Stops at the first break.
 */
export class AuditChainVerifier {
  #entries = 0;
  #prevSeq = 0n;
  #prevHash = AUDIT_CHAIN_GENESIS;
  #org: string | null | undefined = undefined;
  #broken: Extract<AuditChainVerdict, { ok: false }> | null = null;
  #anchorsChecked = 0;
  /** A missing sequence: deleted, unless it turns up later (then the entries were reordered). */
  #gap: { expected: bigint; found: bigint } | null = null;
  readonly #anchors: readonly AuditAnchor[];
  readonly #bySeq = new Map<string, AuditAnchor[]>();

  constructor(
    private readonly sha256: Sha256,
    anchors: readonly AuditAnchor[] = [],
  ) {
    this.#anchors = anchors;
    for (const a of anchors) {
      const key = BigInt(a.seq).toString();
      this.#bySeq.set(key, [...(this.#bySeq.get(key) ?? []), a]);
    }
  }

  get broken(): boolean {
    return this.#broken !== null;
  }

  private fail(seq: bigint | string, reason: AuditChainBreak, detail: string): false {
    this.#broken = { ok: false, seq: seq.toString(), reason, detail, entries: this.#entries };
    return false;
  }

  /** Checks the next entry; false once the chain is known to be broken (a gap is judged at the end). */
  push(e: AuditChainEntry): boolean {
    if (this.#broken) return false;
    let seq: bigint;
    try {
      seq = BigInt(e.seq);
    } catch {
      return this.fail(this.#prevSeq + 1n, 'edited', `entry ${this.#entries + 1} has no valid sequence`);
    }
    if (this.#gap) {
      if (seq === this.#gap.expected) return this.fail(seq, 'reordered', `sequence ${seq} comes after sequence ${this.#gap.found}`);
      return true;
    }
    if (this.#org === undefined) this.#org = e.orgId;
    else if (e.orgId !== this.#org) return this.fail(seq, 'edited', `sequence ${seq} belongs to another org`);
    const expected = this.#prevSeq + 1n;
    if (seq < expected) return this.fail(seq, 'reordered', `sequence ${seq} comes after ${this.#prevSeq}`);
    if (seq > expected) {
      this.#gap = { expected, found: seq };
      return true;
    }
    let actual: string;
    try {
      actual = auditEntryHash(e, this.sha256);
    } catch (cause) {
      return this.fail(seq, 'edited', `sequence ${seq} cannot be encoded: ${(cause as Error).message}`);
    }
    if (actual !== e.hash) return this.fail(seq, 'edited', `sequence ${seq} does not hash to its recorded hash`);
    // An intact entry after the wrong predecessor was moved or spliced in from elsewhere.
    if (e.prevHash !== this.#prevHash) return this.fail(seq, 'reordered', `sequence ${seq} does not link to the hash of sequence ${this.#prevSeq}`);
    for (const anchor of this.#bySeq.get(seq.toString()) ?? []) {
      if (anchor.hash !== e.hash) return this.fail(seq, 'anchor_mismatch', `${anchorSource(anchor)} anchors sequence ${seq} at another hash`);
      if (anchor.source === undefined) this.#anchorsChecked += 1;
    }
    this.#entries += 1;
    this.#prevSeq = seq;
    this.#prevHash = e.hash;
    return true;
  }

  /** The verdict after the last entry: anchors beyond the chain's end mean a deleted tail. */
  finish(): AuditChainVerdict {
    if (this.#broken) return this.#broken;
    if (this.#gap) {
      const { expected, found } = this.#gap;
      this.fail(expected, 'deleted', `sequence ${expected}${found - expected > 1n ? `..${found - 1n}` : ''} is missing (next is ${found})`);
      return this.#broken!;
    }
    let beyond: AuditAnchor | undefined;
    for (const a of this.#anchors) if (BigInt(a.seq) > this.#prevSeq && (!beyond || BigInt(a.seq) > BigInt(beyond.seq))) beyond = a;
    if (beyond) {
      return {
        ok: false,
        seq: (this.#prevSeq + 1n).toString(),
        reason: 'deleted',
        detail: `${anchorSource(beyond)} anchors sequence ${beyond.seq}, the chain ends at ${this.#prevSeq}`,
        entries: this.#entries,
      };
    }
    let last: string | null = null;
    for (const a of this.#anchors) if (a.source === undefined && (last === null || BigInt(a.seq) > BigInt(last))) last = a.seq;
    return {
      ok: true,
      entries: this.#entries,
      headSeq: this.#prevSeq.toString(),
      headHash: this.#prevHash,
      anchorsChecked: this.#anchorsChecked,
      lastAnchoredSeq: last,
    };
  }
}
