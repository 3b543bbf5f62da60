import {
  createApplicationMessage,
  createCommit,
  emptyPskIndex,
  processMessage,
  processPrivateMessage,
  acceptAll,
  type MlsPublicMessage,
} from 'ts-mls';
import { basicMembers, aliceAndBob, makeServiceSender, type ServiceSender, type TwoMemberGroup } from '../test-support/group-fixture.js';
import { admitExternalRemoveProposal } from './external-proposal-admission.js';
import { signExternalRemove } from './external-remove.js';
import { proposalsOfCommit } from './commit.js';
import { MlsExternalSenderNotListedError, MlsInvalidArgumentError } from './errors.js';
import { verifyGroupInfo } from './group-info.js';
import type { LeafMember } from './ratchet-tree.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { proposalRefOfMessage } from './proposal-ref.js';
import { checkExternalRemoveProposal } from './receiver-guard.js';

let service: ServiceSender;
let other: ServiceSender;
let group: TwoMemberGroup;

beforeAll(async () => {
  service = await makeServiceSender('acme');
  other = await makeServiceSender('acme');
  // a second listed sender before ours: our sender_index must be 1, the position in the list
  group = await aliceAndBob('room-1', [
    { signaturePublicKey: other.signaturePublicKey, credential: other.credential },
    { signaturePublicKey: service.signaturePublicKey, credential: service.credential },
  ]);
});

/** The receivers' status source in these specs: Bob's credential is the revoked one. */
const bobIsRevoked = async (m: LeafMember) => m.credential.credentialType === 'basic' && new TextDecoder().decode(m.credential.identity) === 'bob';

async function signRemoveOfBob(g: TwoMemberGroup = group, signer: ServiceSender = service) {
  const { groupContext } = await verifyGroupInfo(g.groupInfo, basicMembers);
  return signExternalRemove({
    groupContext,
    removedLeafIndex: g.bobLeafIndex,
    signaturePublicKey: signer.signaturePublicKey,
    sign: signer.sign,
  });
}

describe('external Remove signed by the service (RFC 9420 §12.1.3, §12.1.8.1)', () => {
  it('is a PublicMessage proposal from external sender 1 for the group epoch', async () => {
    const signed = await signRemoveOfBob();
    expect(signed.senderIndex).toBe(1);
    const m = decodeMlsMessageBytes(signed.message) as MlsPublicMessage & { version: 'mls10' };
    expect(m.wireformat).toBe('mls_public_message');
    const { content } = m.publicMessage;
    expect(content.sender).toEqual({ senderType: 'external', senderIndex: 1 });
    expect(content.epoch).toBe(group.alice.groupContext.epoch);
    expect(Buffer.from(content.groupId).toString()).toBe('room-1');
    expect(content.contentType === 'proposal' && content.proposal).toEqual({ proposalType: 'remove', remove: { removed: 1 } });
  });

  it('has the RFC 9420 §6 / §6.2 byte layout, independent of ts-mls', async () => {
    const signed = await signRemoveOfBob();
    const groupId = Buffer.from('room-1');
    const epoch = Buffer.alloc(8);
    epoch.writeBigUInt64BE(group.alice.groupContext.epoch);
    const expectedPrefix = Buffer.concat([
      Buffer.of(0x00, 0x01), // ProtocolVersion mls10
      Buffer.of(0x00, 0x01), // WireFormat mls_public_message
      Buffer.of(groupId.length),
      groupId,
      epoch,
      Buffer.of(0x02, 0x00, 0x00, 0x00, 0x01), // Sender { external, sender_index = 1 }
      Buffer.of(0x00), // authenticated_data<V> empty
      Buffer.of(0x02), // ContentType proposal
      Buffer.of(0x00, 0x03, 0x00, 0x00, 0x00, group.bobLeafIndex), // Proposal remove { removed }
      Buffer.of(0x40, 0x40), // signature<V>: 64 Ed25519 bytes need the 2-byte varint; no membership_tag (external sender)
    ]);
    const bytes = Buffer.from(signed.message);
    expect(bytes.subarray(0, expectedPrefix.length).toString('hex')).toBe(expectedPrefix.toString('hex'));
    expect(bytes.length).toBe(expectedPrefix.length + 64);
  });

  it('is accepted by the receiver guard, committed by reference, and Bob is out', async () => {
    const signed = await signRemoveOfBob();
    // ts-mls alone cannot take it in: its sender-key lookup reads the RFC list as one ExternalSender
    await expect(processMessage(decodeMlsMessageBytes(signed.message) as never, group.alice, emptyPskIndex, acceptAll, group.cs)).rejects.toThrow();

    const verdict = await checkExternalRemoveProposal(signed.message, group.alice);
    expect(verdict).toMatchObject({ accepted: true, senderIndex: 1, removedLeafIndex: group.bobLeafIndex });

    const admitted = await admitExternalRemoveProposal(group.alice, signed.message, bobIsRevoked);
    if (!admitted.admitted) throw new Error(`refused: ${admitted.reason}`);
    const ref = await proposalRefOfMessage(signed.message, group.alice.groupContext.cipherSuite);
    expect(Buffer.from(admitted.proposalRef)).toEqual(Buffer.from(ref));
    // the reference returned at signing (node:crypto RefHash) is the one ts-mls computes
    expect(Buffer.from(signed.proposalRef)).toEqual(Buffer.from(ref));

    const committed = await createCommit({ state: admitted.state, cipherSuite: group.cs }, { wireAsPublicMessage: true });
    const commitBytes = (await import('ts-mls')).encodeMlsMessage(committed.commit);
    const inspected = await proposalsOfCommit(commitBytes, group.alice.groupContext.cipherSuite, [signed.message]);
    expect(inspected.committer).toEqual({ senderType: 'member', leafIndex: 0 });
    expect(inspected.proposals).toHaveLength(1);
    expect(inspected.proposals[0]).toMatchObject({
      by: 'reference',
      resolved: true,
      sender: { senderType: 'external', senderIndex: 1 },
      proposal: { proposalType: 'remove', remove: { removed: group.bobLeafIndex } },
    });
    expect(Buffer.from((inspected.proposals[0] as { ref: Uint8Array }).ref)).toEqual(Buffer.from(ref));
    const alice = committed.newState;
    expect(alice.groupContext.epoch).toBe(group.alice.groupContext.epoch + 1n);

    // Bob, too, admits the proposal through the guard and then learns from the commit that he is out
    const bobAdmitted = await admitExternalRemoveProposal(group.bob, signed.message, bobIsRevoked);
    if (!bobAdmitted.admitted) throw new Error(`Bob refused: ${bobAdmitted.reason}`);
    const bobAfter = await processMessage(committed.commit as never, bobAdmitted.state, emptyPskIndex, acceptAll, group.cs);
    expect(bobAfter.newState.groupActiveState).toEqual({ kind: 'removedFromGroup' });

    // and Alice's next application message is unreadable with Bob's old-epoch state, while one
    // from the epoch Bob was still in decrypts (so the failure is about the removal)
    const before = await createApplicationMessage(group.alice, new TextEncoder().encode('while Bob is in'), group.cs);
    const readByBob = await processPrivateMessage(group.bob, before.privateMessage, emptyPskIndex, group.cs);
    expect(readByBob.kind === 'applicationMessage' && new TextDecoder().decode(readByBob.message)).toBe('while Bob is in');
    const next = await createApplicationMessage(alice, new TextEncoder().encode('after Bob left'), group.cs);
    await expect(processPrivateMessage(group.bob, next.privateMessage, emptyPskIndex, group.cs)).rejects.toThrow();

    // the GroupInfo Alice now publishes shows Bob's leaf gone
    const { groupInfoOfState } = await import('../test-support/group-fixture.js');
    const report = await verifyGroupInfo(await groupInfoOfState(alice, group.cs), basicMembers);
    expect(report.ratchetTree[2 * group.bobLeafIndex]).toBeUndefined();
  });

  it('refuses a removed leaf index that is not a uint32', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    await expect(
      signExternalRemove({ groupContext, removedLeafIndex: -1, signaturePublicKey: service.signaturePublicKey, sign: service.sign }),
    ).rejects.toBeInstanceOf(MlsInvalidArgumentError);
  });

  it('refuses to sign for a group that does not list the service', async () => {
    const stranger = await makeServiceSender('other-org');
    await expect(signRemoveOfBob(group, stranger)).rejects.toBeInstanceOf(MlsExternalSenderNotListedError);
  });
});

describe('receiver guard refusals', () => {
  it('refuses the same proposal replayed into another group (different group id)', async () => {
    const elsewhere = await aliceAndBob('room-2', [
      { signaturePublicKey: other.signaturePublicKey, credential: other.credential },
      { signaturePublicKey: service.signaturePublicKey, credential: service.credential },
    ]);
    const signed = await signRemoveOfBob();
    expect(await checkExternalRemoveProposal(signed.message, elsewhere.alice)).toMatchObject({ accepted: false, reason: 'group_id_mismatch' });
    expect(await admitExternalRemoveProposal(elsewhere.alice, signed.message, bobIsRevoked)).toMatchObject({
      admitted: false,
      reason: 'group_id_mismatch',
    });
  });

  it('refuses a proposal for a future epoch and one for a past epoch', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const keys = { signaturePublicKey: service.signaturePublicKey, sign: service.sign };
    const future = await signExternalRemove({ ...keys, groupContext: { ...groupContext, epoch: groupContext.epoch + 1n }, removedLeafIndex: 1 });
    expect(await checkExternalRemoveProposal(future.message, group.alice)).toMatchObject({ accepted: false, reason: 'epoch_mismatch' });
    const past = await signExternalRemove({ ...keys, groupContext: { ...groupContext, epoch: groupContext.epoch - 1n }, removedLeafIndex: 1 });
    expect(await checkExternalRemoveProposal(past.message, group.alice)).toMatchObject({ accepted: false, reason: 'epoch_mismatch' });
  });

  it('refuses a proposal signed by a key that is not the listed sender at its index', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const { protectExternalProposalPublic } = await import('ts-mls/messageProtectionPublic.js');
    const { encodeMlsMessage } = await import('ts-mls');
    const intruder = await makeServiceSender('acme');
    const forged = await protectExternalProposalPublic(
      intruder.signaturePrivateKey,
      groupContext,
      new Uint8Array(),
      { proposalType: 'remove', remove: { removed: 1 } },
      { senderType: 'external', senderIndex: 1 },
      group.cs,
    );
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage: forged.publicMessage });
    expect(await checkExternalRemoveProposal(bytes, group.alice)).toMatchObject({ accepted: false, reason: 'signature_invalid' });

    const outOfRange = await protectExternalProposalPublic(
      service.signaturePrivateKey,
      groupContext,
      new Uint8Array(),
      { proposalType: 'remove', remove: { removed: 1 } },
      { senderType: 'external', senderIndex: 2 },
      group.cs,
    );
    const oor = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage: outOfRange.publicMessage });
    expect(await checkExternalRemoveProposal(oor, group.alice)).toMatchObject({ accepted: false, reason: 'sender_index_out_of_range' });
  });

  it('admits a validly signed Remove only for a member whose credential is revoked (the signature does not cover the tree)', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const ofAlice = await signExternalRemove({
      signaturePublicKey: service.signaturePublicKey,
      sign: service.sign,
      groupContext,
      removedLeafIndex: 0,
    });
    // signature, group id, epoch and sender are all fine: only the revocation check stops it
    expect(await checkExternalRemoveProposal(ofAlice.message, group.bob)).toMatchObject({ accepted: true, removedLeafIndex: 0 });
    expect(await checkExternalRemoveProposal(ofAlice.message, group.bob, { removedMemberRevoked: bobIsRevoked })).toMatchObject({
      accepted: false,
      reason: 'removed_leaf_not_revoked',
    });
    expect(await admitExternalRemoveProposal(group.bob, ofAlice.message, bobIsRevoked)).toMatchObject({
      admitted: false,
      reason: 'removed_leaf_not_revoked',
    });
    const offline = async () => {
      throw new Error('status service unreachable');
    };
    expect(await admitExternalRemoveProposal(group.alice, (await signRemoveOfBob()).message, offline)).toMatchObject({
      admitted: false,
      reason: 'removed_leaf_status_unknown',
    });
  });

  it('refuses a Remove of a blank leaf and a proposal that is not a Remove', async () => {
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const keys = { signaturePublicKey: service.signaturePublicKey, sign: service.sign };
    const blank = await signExternalRemove({ ...keys, groupContext, removedLeafIndex: 7 });
    expect(await checkExternalRemoveProposal(blank.message, group.alice)).toMatchObject({ accepted: false, reason: 'removed_leaf_not_member' });

    const { protectExternalProposalPublic } = await import('ts-mls/messageProtectionPublic.js');
    const { encodeMlsMessage } = await import('ts-mls');
    const gce = await protectExternalProposalPublic(
      service.signaturePrivateKey,
      groupContext,
      new Uint8Array(),
      { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [] } },
      { senderType: 'external', senderIndex: 1 },
      group.cs,
    );
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage: gce.publicMessage });
    expect(await checkExternalRemoveProposal(bytes, group.alice)).toMatchObject({ accepted: false, reason: 'not_remove' });
  });

  it('refuses a member-sent proposal, a GroupInfo, and garbage', async () => {
    const { createProposal } = await import('ts-mls');
    const byMember = await createProposal(group.alice, true, { proposalType: 'remove', remove: { removed: 1 } }, group.cs);
    expect(await checkExternalRemoveProposal(byMember.message, group.alice)).toMatchObject({ accepted: false, reason: 'sender_not_external' });
    expect(await checkExternalRemoveProposal(group.groupInfo, group.alice)).toMatchObject({ accepted: false, reason: 'not_public_message' });
    expect(await checkExternalRemoveProposal(Uint8Array.of(0, 1, 0, 1, 0xff), group.alice)).toMatchObject({
      accepted: false,
      reason: 'malformed_message',
    });
  });

  it('refuses a proposal into a group that lists no external sender', async () => {
    const unlisted = await aliceAndBob('room-3', []);
    const signed = await signRemoveOfBob();
    const sameIds = { ...unlisted.alice, groupContext: { ...unlisted.alice.groupContext, groupId: group.alice.groupContext.groupId } };
    expect(await checkExternalRemoveProposal(signed.message, sameIds)).toMatchObject({ accepted: false, reason: 'group_has_no_external_senders' });
  });
});
