import { createCommit, encodeMlsMessage } from 'ts-mls';
import { basicMembers, aliceAndBob, member } from '../test-support/group-fixture.js';
import { proposalsOfCommit, verifyCommitSender } from './commit.js';
import { MlsDecodeError, MlsSignatureInvalidError, MlsUnexpectedContentError } from './errors.js';
import { verifyGroupInfo } from './group-info.js';

describe('Commit (RFC 9420 §12.4) proposal listing', () => {
  it('lists proposals by value with the committer as sender, and leaves unknown references unresolved', async () => {
    const g = await aliceAndBob('room-commit', []);
    const carol = await member('carol', g.cs);
    const commit = await createCommit(
      { state: g.alice, cipherSuite: g.cs },
      { wireAsPublicMessage: true, extraProposals: [{ proposalType: 'add', add: { keyPackage: carol.publicPackage } }] },
    );
    const inspected = await proposalsOfCommit(encodeMlsMessage(commit.commit), g.alice.groupContext.cipherSuite, [Uint8Array.of(9, 9)]);
    expect(inspected.epoch).toBe(g.alice.groupContext.epoch);
    expect(inspected.proposals).toEqual([
      { by: 'value', proposal: { proposalType: 'add', add: { keyPackage: expect.anything() } }, sender: { senderType: 'member', leafIndex: 0 } },
    ]);

    // a member's proposal by reference that the inspector was not given
    const { createProposal } = await import('ts-mls');
    const proposed = await createProposal(g.alice, true, { proposalType: 'remove', remove: { removed: 1 } }, g.cs);
    const byRef = await createCommit({ state: proposed.newState, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    const unresolved = await proposalsOfCommit(encodeMlsMessage(byRef.commit), g.alice.groupContext.cipherSuite);
    expect(unresolved.proposals).toEqual([{ by: 'reference', ref: expect.any(Uint8Array), resolved: false }]);
    const resolved = await proposalsOfCommit(encodeMlsMessage(byRef.commit), g.alice.groupContext.cipherSuite, [encodeMlsMessage(proposed.message)]);
    expect(resolved.proposals[0]).toMatchObject({ by: 'reference', resolved: true, proposal: { proposalType: 'remove', remove: { removed: 1 } } });
  });

  it('refuses an encrypted commit, a non-commit, and garbage with typed errors', async () => {
    const g = await aliceAndBob('room-commit-2', []);
    const privateCommit = await createCommit({ state: g.alice, cipherSuite: g.cs });
    await expect(proposalsOfCommit(encodeMlsMessage(privateCommit.commit), g.alice.groupContext.cipherSuite)).rejects.toBeInstanceOf(
      MlsUnexpectedContentError,
    );
    await expect(proposalsOfCommit(g.groupInfo, g.alice.groupContext.cipherSuite)).rejects.toBeInstanceOf(MlsUnexpectedContentError);
    await expect(proposalsOfCommit(new Uint8Array(0), g.alice.groupContext.cipherSuite)).rejects.toBeInstanceOf(MlsDecodeError);
  });

  it('verifies the committing member against the group state a delivery service holds', async () => {
    const g = await aliceAndBob('room-commit-3', []);
    const group = await verifyGroupInfo(g.groupInfo, basicMembers);
    const commit = await createCommit({ state: g.alice, cipherSuite: g.cs }, { wireAsPublicMessage: true });
    const bytes = encodeMlsMessage(commit.commit);
    const committer = await verifyCommitSender(bytes, group);
    expect(committer.leafIndex).toBe(0);

    // the same commit claimed by Bob's leaf does not verify under Bob's key
    const m = commit.commit as Extract<typeof commit.commit, { wireformat: 'mls_public_message' }>;
    const asBob = encodeMlsMessage({
      ...m,
      publicMessage: { ...m.publicMessage, content: { ...m.publicMessage.content, sender: { senderType: 'member', leafIndex: 1 } } },
    });
    await expect(verifyCommitSender(asBob, group)).rejects.toBeInstanceOf(MlsSignatureInvalidError);
    const nextEpoch = { ...group, groupContext: { ...group.groupContext, epoch: group.groupContext.epoch + 1n } };
    await expect(verifyCommitSender(bytes, nextEpoch)).rejects.toBeInstanceOf(MlsUnexpectedContentError);
  });
});
