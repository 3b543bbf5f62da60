import { createCommit, defaultCapabilities, defaultLifetime, generateKeyPackage, type RatchetTree } from 'ts-mls';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { aliceAndBob } from '../test-support/group-fixture.js';
import { memoisedTreeHashRoot } from './tree-hash.js';

describe('memoised tree hash (RFC 9420 §7.8)', () => {
  it('equals ts-mls treeHashRoot for trees of every width, with blanks, before and after a commit', async () => {
    const group = await aliceAndBob('room-th', []);
    const { cs } = group;
    const suite = group.alice.groupContext.cipherSuite;
    let state = group.alice;
    const check = async (tree: RatchetTree) => {
      expect(Buffer.from(memoisedTreeHashRoot(tree, suite))).toEqual(Buffer.from(await treeHashRoot(tree, cs.hash)));
      // a second time from the memo, still the same
      expect(Buffer.from(memoisedTreeHashRoot(tree, suite))).toEqual(Buffer.from(await treeHashRoot(tree, cs.hash)));
    };
    await check(state.ratchetTree);
    for (let round = 0; round < 5; round++) {
      const kp = await generateKeyPackage(
        { credentialType: 'basic', identity: new TextEncoder().encode(`m${round}`) },
        defaultCapabilities(),
        defaultLifetime,
        [],
        cs,
      );
      state = (await createCommit({ state, cipherSuite: cs }, { extraProposals: [{ proposalType: 'add', add: { keyPackage: kp.publicPackage } }] }))
        .newState;
      await check(state.ratchetTree);
    }
    // a removal leaves a blank leaf; a path update replaces the committer's leaf and parents
    state = (await createCommit({ state, cipherSuite: cs }, { extraProposals: [{ proposalType: 'remove', remove: { removed: 2 } }] })).newState;
    await check(state.ratchetTree);
    // the same LeafNode object at another index is hashed for that index
    const moved = [...state.ratchetTree];
    [moved[0], moved[4]] = [moved[4], moved[0]];
    await check(moved);
  });
});
