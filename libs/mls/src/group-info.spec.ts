import { createGroupInfoWithExternalPub, encodeMlsMessage, type MlsGroupInfo } from 'ts-mls';
import { basicMembers, aliceAndBob, makeServiceSender, type TwoMemberGroup } from '../test-support/group-fixture.js';
import {
  MlsDecodeError,
  MlsLeafCredentialRejectedError,
  MlsLeafNotFoundError,
  MlsSignatureInvalidError,
  MlsUnexpectedContentError,
} from './errors.js';
import { externalSenderIndex } from './external-senders.js';
import { decodeGroupInfoMessage, verifyGroupInfo } from './group-info.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { memberAt, membersOf } from './ratchet-tree.js';
import { VerifiedSignatures } from './verified-signatures.js';

let group: TwoMemberGroup;
let servicePublicKey: Uint8Array;

beforeAll(async () => {
  const service = await makeServiceSender('acme');
  servicePublicKey = service.signaturePublicKey;
  group = await aliceAndBob('room-gi', [{ signaturePublicKey: service.signaturePublicKey, credential: service.credential }]);
});

describe('GroupInfo (RFC 9420 §12.4.3) inspection', () => {
  it('verifies the signature and yields context, tree, signer and roster', async () => {
    const verified = await verifyGroupInfo(group.groupInfo, basicMembers);
    expect(verified.groupContext.epoch).toBe(1n);
    expect(Buffer.from(verified.groupContext.groupId).toString()).toBe('room-gi');
    expect(verified.signer.leafIndex).toBe(0);
    expect(externalSenderIndex(verified.groupContext, servicePublicKey)).toBe(0);
    const roster = membersOf(verified.ratchetTree).map((m) => [
      m.leafIndex,
      m.credential.credentialType === 'basic' && new TextDecoder().decode(m.credential.identity),
    ]);
    expect(roster).toEqual([
      [0, 'alice'],
      [1, 'bob'],
    ]);
    expect(Buffer.from(memberAt(verified.ratchetTree, 1).signaturePublicKey)).toEqual(
      Buffer.from(group.bob.ratchetTree[2]!.nodeType === 'leaf' ? group.bob.ratchetTree[2]!.leaf.signaturePublicKey : []),
    );
    expect(() => memberAt(verified.ratchetTree, 5)).toThrow(MlsLeafNotFoundError);
  });

  it('refuses a GroupInfo whose signed content was altered', async () => {
    const m = decodeMlsMessageBytes(group.groupInfo) as MlsGroupInfo & { version: 'mls10' };
    const tampered = encodeMlsMessage({
      ...m,
      groupInfo: { ...m.groupInfo, groupContext: { ...m.groupInfo.groupContext, epoch: m.groupInfo.groupContext.epoch + 1n } },
    });
    await expect(verifyGroupInfo(tampered, basicMembers)).rejects.toBeInstanceOf(MlsSignatureInvalidError);
  });

  it('refuses a GroupInfo claiming a signer that is not in its tree', async () => {
    const m = decodeMlsMessageBytes(group.groupInfo) as MlsGroupInfo & { version: 'mls10' };
    const moved = encodeMlsMessage({ ...m, groupInfo: { ...m.groupInfo, signer: 9 } });
    await expect(verifyGroupInfo(moved, basicMembers)).rejects.toBeInstanceOf(MlsSignatureInvalidError);
  });

  it('refuses a GroupInfo, validly signed, whose ratchet tree does not match the GroupContext', async () => {
    const { encodeRatchetTree } = await import('ts-mls/ratchetTree.js');
    const { signGroupInfo } = await import('ts-mls/groupInfo.js');
    const m = decodeMlsMessageBytes(group.groupInfo) as MlsGroupInfo & { version: 'mls10' };
    const verified = await verifyGroupInfo(group.groupInfo, basicMembers);
    // the signer lies about Bob: his leaf now claims another identity
    const tree = verified.ratchetTree.map((node, i) =>
      i === 2 && node?.nodeType === 'leaf'
        ? { ...node, leaf: { ...node.leaf, credential: { credentialType: 'basic' as const, identity: new TextEncoder().encode('mallory') } } }
        : node,
    );
    const extensions = m.groupInfo.extensions.map((e) => (e.extensionType === 'ratchet_tree' ? { ...e, extensionData: encodeRatchetTree(tree) } : e));
    const { signature: _dropped, ...tbs } = m.groupInfo;
    const resigned = await signGroupInfo({ ...tbs, extensions }, group.alice.signaturePrivateKey, group.cs.signature);
    const bytes = encodeMlsMessage({ ...m, groupInfo: resigned });
    await expect(verifyGroupInfo(bytes, basicMembers)).rejects.toBeInstanceOf(MlsSignatureInvalidError);
    await expect(verifyGroupInfo(bytes, basicMembers)).rejects.toThrow(/ratchet tree does not match/);
  });

  it('with a cache of verified signatures, skips only exact leaves seen before and still refuses a changed leaf', async () => {
    const { encodeRatchetTree } = await import('ts-mls/ratchetTree.js');
    const { signGroupInfo } = await import('ts-mls/groupInfo.js');
    const cache = new VerifiedSignatures();
    await verifyGroupInfo(group.groupInfo, basicMembers, cache);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 0, misses: 3 }); // GroupInfo, Alice, Bob
    await verifyGroupInfo(group.groupInfo, basicMembers, cache);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 3, misses: 3 });
    // the signer vouches for a tree in which Bob's leaf says something else; his old signature stays
    const m = decodeMlsMessageBytes(group.groupInfo) as MlsGroupInfo & { version: 'mls10' };
    const verified = await verifyGroupInfo(group.groupInfo, basicMembers, cache);
    const tree = verified.ratchetTree.map((node, i) =>
      i === 2 && node?.nodeType === 'leaf'
        ? { ...node, leaf: { ...node.leaf, credential: { credentialType: 'basic' as const, identity: new TextEncoder().encode('mallory') } } }
        : node,
    );
    const extensions = m.groupInfo.extensions.map((e) => (e.extensionType === 'ratchet_tree' ? { ...e, extensionData: encodeRatchetTree(tree) } : e));
    const { signature: _dropped, ...tbs } = m.groupInfo;
    const resigned = await signGroupInfo({ ...tbs, extensions }, group.alice.signaturePrivateKey, group.cs.signature);
    const misses = cache.misses;
    await expect(verifyGroupInfo(encodeMlsMessage({ ...m, groupInfo: resigned }), basicMembers, cache)).rejects.toThrow(
      /Could not verify leaf node signature/,
    );
    expect(cache.misses).toBeGreaterThan(misses); // Bob's changed leaf was verified for real
  });

  it('a cache of verified signatures keeps only successes, by the exact key, message and signature', async () => {
    const cache = new VerifiedSignatures(2);
    const keys = await group.cs.signature.keygen();
    const message = new TextEncoder().encode('leaf');
    const signature = await group.cs.signature.sign(keys.signKey, message);
    const verify = cache.wrap(group.cs.signature).verify;
    expect(await verify(keys.publicKey, message, signature)).toBe(true);
    expect(await verify(keys.publicKey, message, signature)).toBe(true);
    expect(cache.hits).toBe(1);
    expect(await verify(keys.publicKey, new TextEncoder().encode('leaf!'), signature)).toBe(false);
    expect(await verify(keys.publicKey, new TextEncoder().encode('leaf!'), signature)).toBe(false);
    const other = await group.cs.signature.keygen();
    expect(await verify(other.publicKey, message, signature)).toBe(false);
    expect(cache.hits).toBe(1);
  });

  it("applies the caller's credential policy to every leaf and names the leaves it refuses (§5.3.1)", async () => {
    const seen: number[] = [];
    const notBob = (leaf: { credential: { credentialType: string; identity?: Uint8Array } }) => {
      seen.push(1);
      return new TextDecoder().decode(leaf.credential.identity) !== 'bob';
    };
    const refused = await verifyGroupInfo(group.groupInfo, notBob).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MlsLeafCredentialRejectedError);
    expect((refused as MlsLeafCredentialRejectedError).leafIndexes).toEqual([group.bobLeafIndex]);
    expect(seen).toHaveLength(2);
  });

  it('says so when the GroupInfo carries no ratchet tree', async () => {
    const bare = await createGroupInfoWithExternalPub(group.alice, [], group.cs);
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo: bare });
    expect(decodeGroupInfoMessage(bytes).signer).toBe(0);
    await expect(verifyGroupInfo(bytes, basicMembers)).rejects.toBeInstanceOf(MlsUnexpectedContentError);
  });

  it('gives MlsDecodeError for garbage and MlsUnexpectedContentError for another message kind', async () => {
    await expect(verifyGroupInfo(Uint8Array.of(1, 2, 3), basicMembers)).rejects.toBeInstanceOf(MlsDecodeError);
    await expect(verifyGroupInfo(group.groupInfo.subarray(0, group.groupInfo.length - 1), basicMembers)).rejects.toBeInstanceOf(MlsDecodeError);
    const { member } = await import('../test-support/group-fixture.js');
    const kp = await member('carol', group.cs);
    const kpBytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage });
    await expect(verifyGroupInfo(kpBytes, basicMembers)).rejects.toBeInstanceOf(MlsUnexpectedContentError);
  });
});
