import { signExternalRemove, verifyGroupInfo } from '#mls';
import { emptyPskIndex, processMessage, acceptAll, decodeMlsMessage, type Credential } from 'ts-mls';
import { aliceAndBob, basicMembers, makeServiceSender, type ServiceSender, type TwoMemberGroup } from '../../mls/test-support/group-fixture.js';
import { FakeClock } from '../test-support/fake-clock.js';
import {
  commitPendingRemovals,
  receiveExternalProposal,
  removalCommitDelay,
  RemovalCommitScheduler,
  type RemovalCommitPolicy,
} from './service-removals.js';

let service: ServiceSender;
let group: TwoMemberGroup;
let other: TwoMemberGroup;

const anyMember: RemovalCommitPolicy = { kind: 'any-member-after-delay', minDelayMs: 1000, maxDelayMs: 5000 };

beforeAll(async () => {
  service = await makeServiceSender('acme');
  const senders = [{ signaturePublicKey: service.signaturePublicKey, credential: service.credential }];
  group = await aliceAndBob('room-1', senders);
  other = await aliceAndBob('room-2', senders);
});

/** What the status API answers in these specs: Bob's credential is revoked, Alice's is not. */
const bobRevoked = async (m: { credential: Credential }) =>
  m.credential.credentialType === 'basic' && new TextDecoder().decode(m.credential.identity) === 'bob';

async function removeOfBob(epochShift = 0n, g = group) {
  const { groupContext } = await verifyGroupInfo(g.groupInfo, basicMembers);
  return signExternalRemove({
    groupContext: { ...groupContext, epoch: groupContext.epoch + epochShift },
    removedLeafIndex: g.bobLeafIndex,
    signaturePublicKey: service.signaturePublicKey,
    sign: service.sign,
  });
}

describe('receiveExternalProposal: the receiver guard before ts-mls', () => {
  it("refuses the same group's Remove replayed into another group, leaving that group untouched", async () => {
    const signed = await removeOfBob();
    const outcome = await receiveExternalProposal(other.alice, signed.message, anyMember, bobRevoked);
    expect(outcome).toMatchObject({ admitted: false, reason: 'group_id_mismatch' });
    expect(Object.keys(other.alice.unappliedProposals)).toHaveLength(0);
  });

  it('refuses a proposal for a future epoch and for a past one', async () => {
    expect(await receiveExternalProposal(group.alice, (await removeOfBob(1n)).message, anyMember, bobRevoked)).toMatchObject({
      admitted: false,
      reason: 'epoch_mismatch',
    });
    expect(await receiveExternalProposal(group.alice, (await removeOfBob(-1n)).message, anyMember, bobRevoked)).toMatchObject({
      admitted: false,
      reason: 'epoch_mismatch',
    });
  });

  it('refuses a validly signed Remove of a member whose credential is not revoked (a forged report upstream)', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const ofAlice = await signExternalRemove({
      groupContext,
      removedLeafIndex: 0,
      signaturePublicKey: service.signaturePublicKey,
      sign: service.sign,
    });
    expect(await receiveExternalProposal(group.bob, ofAlice.message, anyMember, bobRevoked)).toMatchObject({
      admitted: false,
      reason: 'removed_leaf_not_revoked',
    });
    expect(Object.keys(group.bob.unappliedProposals)).toHaveLength(0);
  });

  it('refuses garbage without throwing', async () => {
    expect(await receiveExternalProposal(group.alice, new Uint8Array([0, 1, 2, 3]), anyMember, bobRevoked)).toMatchObject({
      admitted: false,
      reason: 'malformed_message',
    });
  });

  it('admits a proper Remove; the member chosen by policy commits it by reference and Bob is out', async () => {
    const signed = await removeOfBob();
    const lowestAdmin: RemovalCommitPolicy = { kind: 'lowest-admin-online', isAdmin: (leaf) => leaf === 0, isOnline: () => true };
    const alice = await receiveExternalProposal(group.alice, signed.message, lowestAdmin, bobRevoked);
    if (!alice.admitted) throw new Error(alice.reason);
    expect(alice.removedLeafIndex).toBe(group.bobLeafIndex);
    expect(alice.commitInMs).toBe(0);
    const bob = await receiveExternalProposal(group.bob, signed.message, lowestAdmin, bobRevoked);
    if (!bob.admitted) throw new Error(bob.reason);
    // Bob is the one being removed: never his job
    expect(bob.commitInMs).toBeNull();

    const committed = await commitPendingRemovals(alice.state);
    expect(committed.removed).toEqual([group.bobLeafIndex]);
    // a PublicMessage by default, so the delivery service and the identity service can follow it
    expect(decodeMlsMessage(committed.commit, 0)![0].wireformat).toBe('mls_public_message');
    expect(committed.newState.groupContext.epoch).toBe(group.alice.groupContext.epoch + 1n);
    const decoded = decodeMlsMessage(committed.commit, 0)![0];
    const bobAfter = await processMessage(decoded as never, bob.state, emptyPskIndex, acceptAll, group.cs);
    expect(bobAfter.newState.groupActiveState).toEqual({ kind: 'removedFromGroup' });
  });
});

describe('removalCommitDelay: who commits', () => {
  it('lowest-index admin online commits at once; others do not', async () => {
    const signed = await removeOfBob();
    const admitted = await receiveExternalProposal(group.alice, signed.message, anyMember, bobRevoked);
    if (!admitted.admitted) throw new Error(admitted.reason);
    // Alice (leaf 0) is not admin; nobody else remains: fallback jitter applies to her
    const noAdmins: RemovalCommitPolicy = {
      kind: 'lowest-admin-online',
      isAdmin: () => false,
      isOnline: () => true,
      fallbackMinDelayMs: 10,
      fallbackMaxDelayMs: 20,
    };
    expect(removalCommitDelay(admitted.state, noAdmins, () => 0.5)).toBe(15);
    const aliceAdmin: RemovalCommitPolicy = { kind: 'lowest-admin-online', isAdmin: (l) => l === 0, isOnline: () => false };
    // her own "online" state does not matter: she is running this code
    expect(removalCommitDelay(admitted.state, aliceAdmin)).toBe(0);
  });

  it('any member after a jittered delay within the bounds', async () => {
    const signed = await removeOfBob();
    const admitted = await receiveExternalProposal(group.alice, signed.message, anyMember, bobRevoked);
    if (!admitted.admitted) throw new Error(admitted.reason);
    expect(removalCommitDelay(admitted.state, anyMember, () => 0)).toBe(1000);
    expect(removalCommitDelay(admitted.state, anyMember, () => 0.999999)).toBe(5000);
  });

  it("the scheduler runs a commit after its delay unless cancelled by another member's Commit", async () => {
    const clock = new FakeClock();
    const scheduler = new RemovalCommitScheduler(clock);
    const ran: string[] = [];
    scheduler.schedule('room-1', 3000, () => void ran.push('room-1'));
    scheduler.schedule('room-2', 3000, () => void ran.push('room-2'));
    await clock.advance(2999);
    expect(ran).toEqual([]);
    scheduler.cancel('room-2');
    await clock.advance(1);
    expect(ran).toEqual(['room-1']);
    expect(scheduler.has('room-1')).toBe(false);
  });
});
