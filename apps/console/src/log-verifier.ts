import { assertConsistent, decodeKeyEvent, openCheckpoint, parseVerifierKey, verifyEntryInclusion, type Checkpoint, type NoteVerifier } from '#tlog';
import { getJson, getText, paths } from './api.js';

/**
 * Key-transparency checks done in the admin's browser with the same verifier the SDK and
 * `mlsid` use: what the console calls "verified" was checked here, not asserted by the service.
 */
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function verifiers(org: string): Promise<NoteVerifier[]> {
  const lines = (await getText(paths.ktKey(org))).split('\n').filter((l) => l.trim() !== '');
  return lines.map((l) => parseVerifierKey(l.trim()));
}

export interface VerifiedCheckpoint {
  checkpoint: Checkpoint;
  note: string;
  /** Against the last checkpoint this browser saw for the org, if any. */
  consistency: { status: 'first-seen' } | { status: 'consistent'; fromSize: number } | { status: 'inconsistent'; detail: string };
}

const seenKey = (org: string) => `mlsid-console:checkpoint:${org}`;

export async function verifiedCheckpoint(org: string): Promise<VerifiedCheckpoint> {
  const keys = await verifiers(org);
  const note = await getText(paths.ktCheckpoint(org));
  const { checkpoint } = openCheckpoint(note, keys);
  const seen = localStorage.getItem(seenKey(org));
  let consistency: VerifiedCheckpoint['consistency'] = { status: 'first-seen' };
  if (seen) {
    try {
      const old = openCheckpoint(seen, keys, checkpoint.origin).checkpoint;
      const proof =
        old.size === 0 || old.size === checkpoint.size
          ? []
          : (await getJson<{ proof: string[] }>(`/kt/${encodeURIComponent(org)}/proof/consistency?from=${old.size}&to=${checkpoint.size}`)).proof.map(
              b64,
            );
      assertConsistent(old, checkpoint, proof);
      consistency = { status: 'consistent', fromSize: old.size };
    } catch (e) {
      consistency = { status: 'inconsistent', detail: (e as Error).message };
    }
  }
  if (consistency.status !== 'inconsistent') localStorage.setItem(seenKey(org), note);
  return { checkpoint, note, consistency };
}

export interface HistoryEntry {
  index: number;
  type: string;
  device: string | null;
  reason: string | null;
  timestamp: string;
  verified: boolean;
  problem?: string;
}

interface HistoryAnswer {
  checkpoint: string;
  entries: {
    index: number;
    type: string;
    device: string | null;
    reason: string | null;
    timestamp: string;
    entry: string;
    inclusionProof: string[];
  }[];
}

/** An account's key history, each entry's inclusion in the signed checkpoint checked in the browser. */
export async function verifiedHistory(org: string, accountId: string): Promise<{ size: number; entries: HistoryEntry[] }> {
  const keys = await verifiers(org);
  const answer = await getJson<HistoryAnswer>(paths.ktAccount(org, accountId));
  const { checkpoint } = openCheckpoint(answer.checkpoint, keys);
  const entries = answer.entries.map((e) => {
    try {
      const bytes = b64(e.entry);
      verifyEntryInclusion(checkpoint, e.index, bytes, e.inclusionProof.map(b64));
      const decoded = decodeKeyEvent(bytes);
      if (decoded.account !== accountId) throw new Error('the entry names another account');
      return { index: e.index, type: e.type, device: e.device, reason: e.reason, timestamp: e.timestamp, verified: true };
    } catch (err) {
      return {
        index: e.index,
        type: e.type,
        device: e.device,
        reason: e.reason,
        timestamp: e.timestamp,
        verified: false,
        problem: (err as Error).message,
      };
    }
  });
  return { size: checkpoint.size, entries };
}
