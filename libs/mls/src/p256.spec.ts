import { KeyObject, sign, webcrypto } from 'node:crypto';
import {
  createCommit,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  joinGroup,
} from 'ts-mls';
import { ciphersuiteImpl } from './ciphersuite.js';
import { externalSendersExtension } from './external-senders.js';
import { createGroupWithExternalSenders } from './group-creation.js';
import { verifyGroupInfo } from './group-info.js';
import { checkExternalRemoveProposal } from './receiver-guard.js';
import { signExternalRemove } from './external-remove.js';
import { basicMembers } from '../test-support/group-fixture.js';

const P256 = 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256' as const;

describe('cipher suite 0x0002 (P-256)', () => {
  it('verifies a P-256 GroupInfo and accepts a Remove signed (DER ECDSA) through a signer callback', async () => {
    const cs = await ciphersuiteImpl(P256);
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const signaturePublicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey));
    const keyObject = KeyObject.from(keys.privateKey);
    const signer = async (content: Uint8Array) => new Uint8Array(sign('sha256', content, { key: keyObject, dsaEncoding: 'der' }));
    const cred = (name: string) => ({ credentialType: 'basic' as const, identity: new TextEncoder().encode(name) });
    const a = await generateKeyPackage(cred('alice'), defaultCapabilities(), defaultLifetime, [], cs);
    const b = await generateKeyPackage(cred('bob'), defaultCapabilities(), defaultLifetime, [], cs);
    const created = await createGroupWithExternalSenders(
      new TextEncoder().encode('p256-group'),
      a.publicPackage,
      a.privatePackage,
      [externalSendersExtension([{ signaturePublicKey, credential: cred('service') }])],
      cs,
    );
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      { extraProposals: [{ proposalType: 'add', add: { keyPackage: b.publicPackage } }], ratchetTreeExtension: true },
    );
    const bob = await joinGroup(added.welcome!, b.publicPackage, b.privatePackage, emptyPskIndex, cs);
    const groupInfo = encodeMlsMessage({
      version: 'mls10',
      wireformat: 'mls_group_info',
      groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(added.newState, [], cs),
    });
    const verified = await verifyGroupInfo(groupInfo, basicMembers);
    expect(verified.groupContext.epoch).toBe(1n);
    const removal = await signExternalRemove({
      groupContext: verified.groupContext,
      removedLeafIndex: bob.privatePath.leafIndex,
      signaturePublicKey,
      sign: signer,
    });
    const verdict = await checkExternalRemoveProposal(removal.message, {
      groupContext: added.newState.groupContext,
      ratchetTree: added.newState.ratchetTree,
    });
    expect(verdict).toMatchObject({ accepted: true, removedLeafIndex: bob.privatePath.leafIndex });
  });
});
