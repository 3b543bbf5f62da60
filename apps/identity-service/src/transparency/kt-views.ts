import type { KeyEvent } from '#tlog';
import type { HistoryEntry, LatestCheckpoint } from './kt-reader.service.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : null);

/** A decoded entry as JSON: digests in hex, time in ISO 8601, absent fields null. */
export const keyEventView = (e: KeyEvent) => ({
  type: e.type,
  org: e.org,
  account: e.account ?? null,
  device: e.device ?? null,
  certificateSha256: hex(e.certificateSha256),
  mlsSignatureKeySha256: hex(e.mlsSignatureKeySha256),
  reason: e.reason ?? null,
  timestamp: new Date(e.timestamp).toISOString(),
});

/** Account history: the checkpoint the proofs are against, and each entry with its raw bytes. */
export const historyView = (h: { checkpoint: LatestCheckpoint; entries: HistoryEntry[] }) => ({
  checkpoint: h.checkpoint.note,
  size: h.checkpoint.size,
  entries: h.entries.map((e) => ({
    index: e.index,
    ...keyEventView(e.event),
    entry: b64(e.entry),
    inclusionProof: e.inclusionProof.map(b64),
  })),
});
