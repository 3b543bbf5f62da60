import { createCommit, createProposal, encodeMlsMessage, type ClientState } from 'ts-mls';
import { basicMembers, aliceAndBob, member, type TwoMemberGroup } from '../test-support/group-fixture.js';
import { proposalsOfCommit } from './commit.js';
import { confirmedTranscriptHashAfter, epochContextBytes, nextPublicEpoch, type PublicEpochState } from './epoch-transition.js';
import { MlsUnexpectedContentError } from './errors.js';
import { verifyGroupInfo } from './group-info.js';

let g: TwoMemberGroup;

beforeAll(async () => {
  g = await aliceAndBob('room-transition', []);
});

/** What the service holds of an epoch: the public part of a member's state. */
const publicState = (s: ClientState): PublicEpochState => ({
  groupContext: s.groupContext,
  ratchetTree: s.ratchetTree,
  confirmationTag: s.confirmationTag,
});

async function followed(before: ClientState, commit: Uint8Array, known: Uint8Array[] = []) {
  const inspected = await proposalsOfCommit(commit, before.groupContext.cipherSuite, known);
  return nextPublicEpoch(publicState(before), commit, inspected.proposals);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('following a Commit from outside (RFC 9420 §12.4.2, §8.2, §7.8)', () => {
  it('computes the next GroupContext byte for byte for an Add with UpdatePath', async () => {
    const carol = await member('carol', g.cs);
    const commit = await createCommit(
      { state: g.alice, cipherSuite: g.cs },
      { wireAsPublicMessage: true, extraProposals: [{ proposalType: 'add', add: { keyPackage: carol.publicPackage } }] },
    );
    const next = await followed(g.alice, encodeMlsMessage(commit.commit));
    expect(hex(epochContextBytes(next))).toBe(hex(epochContextBytes(commit.newState)));
    expect(hex(next.confirmationTag)).toBe(hex(commit.newState.confirmationTag));
    // the cheap §8.2 part alone names the same commit
    expect(hex(await confirmedTranscriptHashAfter(publicState(g.alice), encodeMlsMessage(commit.commit)))).toBe(
      hex(commit.newState.groupContext.confirmedTranscriptHash),
    );
  });

  it('follows a Remove committed by reference and an empty (path-only) commit', async () => {
    const proposed = await createProposal(g.alice, true, { proposalType: 'remove', remove: { removed: g.bobLeafIndex } }, g.cs);
    const commit = await createCommit({ state: proposed.newState, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    const next = await followed(g.alice, encodeMlsMessage(commit.commit), [encodeMlsMessage(proposed.message)]);
    expect(hex(epochContextBytes(next))).toBe(hex(epochContextBytes(commit.newState)));

    const empty = await createCommit({ state: commit.newState, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    const after = await followed(commit.newState, encodeMlsMessage(empty.commit));
    expect(hex(epochContextBytes(after))).toBe(hex(epochContextBytes(empty.newState)));
    // chained: the state computed from outside is enough for the next step
    expect(hex(epochContextBytes(await nextPublicEpoch(next, encodeMlsMessage(empty.commit), [])))).toBe(hex(epochContextBytes(empty.newState)));
  });

  it('does not match a GroupInfo of another history at the same epoch (a fabricated or forked tree)', async () => {
    const carol = await member('carol', g.cs);
    const dave = await member('dave', g.cs);
    const addCarol = await createCommit(
      { state: g.alice, cipherSuite: g.cs },
      { wireAsPublicMessage: true, extraProposals: [{ proposalType: 'add', add: { keyPackage: carol.publicPackage } }] },
    );
    const addDave = await createCommit(
      { state: g.alice, cipherSuite: g.cs },
      { wireAsPublicMessage: true, extraProposals: [{ proposalType: 'add', add: { keyPackage: dave.publicPackage } }], ratchetTreeExtension: true },
    );
    const seen = await followed(g.alice, encodeMlsMessage(addCarol.commit));
    const { groupInfoOfState } = await import('../test-support/group-fixture.js');
    const other = await verifyGroupInfo(await groupInfoOfState(addDave.newState, g.cs), basicMembers);
    expect(other.groupContext.epoch).toBe(seen.groupContext.epoch);
    expect(hex(epochContextBytes(other))).not.toBe(hex(epochContextBytes(seen)));
  });

  it('refuses what cannot be followed from outside', async () => {
    const proposed = await createProposal(g.alice, true, { proposalType: 'remove', remove: { removed: g.bobLeafIndex } }, g.cs);
    const byRef = await createCommit({ state: proposed.newState, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    await expect(followed(g.alice, encodeMlsMessage(byRef.commit))).rejects.toBeInstanceOf(MlsUnexpectedContentError);
    const encrypted = await createCommit({ state: g.alice, cipherSuite: g.cs });
    await expect(nextPublicEpoch(publicState(g.alice), encodeMlsMessage(encrypted.commit), [])).rejects.toBeInstanceOf(MlsUnexpectedContentError);
    const later = await createCommit({ state: byRef.newState, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    await expect(nextPublicEpoch(publicState(g.alice), encodeMlsMessage(later.commit), [])).rejects.toThrow('another epoch');
  });
});
