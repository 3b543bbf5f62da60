import { signCheckpoint, type Checkpoint } from './checkpoint.js';
import { generateConsistencyProof } from './consistency-proof.js';
import { parseVerifierKey } from './ed25519-note-key.js';
import { makeTestNoteKey } from './ed25519-test-key.testing.js';
import {
  CheckpointOriginMismatch,
  InclusionProofInvalid,
  LogEntriesMismatch,
  LogInconsistent,
  MalformedInput,
  NoteSignatureInvalid,
  NoteUnverified,
  SignatureFailure,
} from './errors.js';
import { generateInclusionProof } from './inclusion-proof.js';
import { MemoryHashStore, mapTileReader } from './memory-hash-store.testing.js';
import { makeEntries } from './naive-merkle.testing.js';
import { rootFromHashes } from './tree-root.js';
import {
  acceptCheckpoint,
  acceptCheckpointFromTiles,
  restoreVerifierState,
  verifyEntriesMatchCheckpoint,
  verifyEntryInclusion,
  type LogVerifierConfig,
} from './verifier.js';

const ORIGIN = 'id.example.com/kt/acme';
const logKey = makeTestNoteKey(ORIGIN);
const config: LogVerifierConfig = { origin: ORIGIN, verifiers: [parseVerifierKey(logKey.vkey)] };
const entries = makeEntries(1000, 'event');
const log = MemoryHashStore.fromEntries(entries);
// A fork: same first 600 entries, then different ones.
const forked = MemoryHashStore.fromEntries([...entries.slice(0, 600), ...makeEntries(400, 'forged')]);

async function checkpointOf(store: MemoryHashStore, size: number): Promise<Checkpoint> {
  return { origin: ORIGIN, size, rootHash: await rootFromHashes(size, store), extensions: [] };
}

async function noteOf(store: MemoryHashStore, size: number, signers = [logKey.signer]): Promise<string> {
  return signCheckpoint(await checkpointOf(store, size), signers);
}

describe('log verifier', () => {
  it('accepts a first checkpoint on signature alone, then only consistent successors', async () => {
    let state = acceptCheckpoint(config, null, await noteOf(log, 100), []);
    expect(state.checkpoint.size).toBe(100);
    for (const size of [100, 101, 256, 257, 999, 1000]) {
      state = acceptCheckpoint(config, state, await noteOf(log, size), await generateConsistencyProof(state.checkpoint.size, size, log));
      expect(state.checkpoint.size).toBe(size);
    }
    expect(restoreVerifierState(config, state.note)).toEqual(state);
  });

  it('reports a fork or rollback as LogInconsistent', async () => {
    const state = acceptCheckpoint(config, null, await noteOf(log, 700), []);
    // Forked tree, larger: no proof from the honest tree can tie them.
    const forkNote = await noteOf(forked, 800);
    const honestProof = await generateConsistencyProof(700, 800, log);
    const forkProof = await generateConsistencyProof(700, 800, forked);
    expect(() => acceptCheckpoint(config, state, forkNote, honestProof)).toThrow(LogInconsistent);
    expect(() => acceptCheckpoint(config, state, forkNote, forkProof)).toThrow(LogInconsistent);
    // Same size, other root.
    const note1 = await noteOf(forked, 700);
    expect(() => acceptCheckpoint(config, state, note1, [])).toThrow(LogInconsistent);
    // Smaller tree.
    const note2 = await noteOf(log, 699);
    expect(() => acceptCheckpoint(config, state, note2, [])).toThrow(LogInconsistent);
    await expect(acceptCheckpointFromTiles(config, state, await noteOf(log, 699), mapTileReader(await log.tilesAt(699)))).rejects.toThrow(
      LogInconsistent,
    );
    // Consistency is relative to what was seen: a verifier that trusted size 500 (before the
    // fork point 600) can follow the forked branch, and then rejects the honest one.
    const early = acceptCheckpoint(config, null, await noteOf(log, 500), []);
    const onFork = acceptCheckpoint(config, early, await noteOf(forked, 700), await generateConsistencyProof(500, 700, forked));
    const honest800 = await noteOf(log, 800);
    const honestProof700 = await generateConsistencyProof(700, 800, log);
    expect(() => acceptCheckpoint(config, onFork, honest800, honestProof700)).toThrow(LogInconsistent);
    expect(() => acceptCheckpoint(config, onFork, honest800, [])).toThrow(LogInconsistent);
  });

  it('reports signature problems as SignatureFailure, distinct from forks', async () => {
    const state = acceptCheckpoint(config, null, await noteOf(log, 10), []);
    const proof = await generateConsistencyProof(10, 20, log);
    const stranger = makeTestNoteKey('id.example.com/kt/acme');
    const unsigned = await noteOf(log, 20, [stranger.signer]);
    expect(() => acceptCheckpoint(config, state, unsigned, proof)).toThrow(NoteUnverified);
    const forged = await noteOf(log, 20, [{ ...logKey.signer, sign: stranger.rawSign }]);
    expect(() => acceptCheckpoint(config, state, forged, proof)).toThrow(NoteSignatureInvalid);
    for (const note of [unsigned, forged]) {
      try {
        acceptCheckpoint(config, state, note, proof);
      } catch (e) {
        expect(e).toBeInstanceOf(SignatureFailure);
        expect(e).not.toBeInstanceOf(LogInconsistent);
      }
    }
    // Cosigned by an unknown witness: still accepted.
    const cosigned = await noteOf(log, 20, [logKey.signer, makeTestNoteKey('witness.example/w').signer]);
    expect(acceptCheckpoint(config, state, cosigned, proof).checkpoint.size).toBe(20);
  });

  it('reports malformed input and other logs with their own errors', async () => {
    const state = acceptCheckpoint(config, null, await noteOf(log, 10), []);
    const good = await noteOf(log, 20);
    expect(() => acceptCheckpoint(config, state, good.slice(0, -1), [])).toThrow(MalformedInput);
    expect(() => acceptCheckpoint(config, state, good, [new Uint8Array(3)])).toThrow(MalformedInput);
    const otherLog = await signCheckpoint({ ...(await checkpointOf(log, 20)), origin: 'id.example.com/kt/other' }, [logKey.signer]);
    expect(() => acceptCheckpoint(config, state, otherLog, [])).toThrow(CheckpointOriginMismatch);
  });

  it('accepts checkpoints with the consistency proof computed from tiles', async () => {
    let state = acceptCheckpoint(config, null, await noteOf(log, 3), []);
    for (const size of [3, 255, 256, 600, 1000]) {
      state = await acceptCheckpointFromTiles(config, state, await noteOf(log, size), mapTileReader(await log.tilesAt(size)));
      expect(state.checkpoint.size).toBe(size);
    }
    const early = acceptCheckpoint(config, null, await noteOf(log, 650), []);
    await expect(acceptCheckpointFromTiles(config, early, await noteOf(forked, 1000), mapTileReader(await forked.tilesAt(1000)))).rejects.toThrow(
      LogInconsistent,
    );
    // Honest tiles with a forked checkpoint: still a fork.
    await expect(acceptCheckpointFromTiles(config, early, await noteOf(forked, 1000), mapTileReader(await log.tilesAt(1000)))).rejects.toThrow(
      LogInconsistent,
    );
  });

  it('verifies an entry inclusion against a checkpoint', async () => {
    const cp = await checkpointOf(log, 1000);
    for (const i of [0, 1, 511, 600, 999]) verifyEntryInclusion(cp, i, entries[i]!, await generateInclusionProof(i, 1000, log));
    const proof = await generateInclusionProof(5, 1000, log);
    expect(() => verifyEntryInclusion(cp, 5, entries[6]!, proof)).toThrow(InclusionProofInvalid);
  });

  it('rebuilds the root from all entries', async () => {
    const cp = await checkpointOf(log, 1000);
    await verifyEntriesMatchCheckpoint(cp, entries);
    async function* streamed() {
      for (const e of entries) yield e;
    }
    await verifyEntriesMatchCheckpoint(cp, streamed());
    await expect(verifyEntriesMatchCheckpoint(cp, entries.slice(0, 999))).rejects.toThrow(LogEntriesMismatch);
    await expect(verifyEntriesMatchCheckpoint(cp, [...entries, entries[0]!])).rejects.toThrow(LogEntriesMismatch);
    const altered = [...entries];
    altered[400] = new TextEncoder().encode('something else');
    await expect(verifyEntriesMatchCheckpoint(cp, altered)).rejects.toThrow(LogEntriesMismatch);
    await expect(verifyEntriesMatchCheckpoint(cp, altered)).rejects.toThrow(LogInconsistent);
  });
});
