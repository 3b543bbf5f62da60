import { webcrypto } from 'node:crypto';
import { encodeMlsMessage } from 'ts-mls';
import { verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { protectExternalProposalPublic } from 'ts-mls/messageProtectionPublic.js';
import { basicMembers, aliceAndBob, makeServiceSender } from '../test-support/group-fixture.js';
import { signExternalRemove } from './external-remove.js';
import { verifyGroupInfo } from './group-info.js';
import { signContent, signWithLabel } from './sign-with-label.js';

describe('SignWithLabel through a signer callback (RFC 9420 §5.1.2)', () => {
  it('hands the signer SignContent { "MLS 1.0 " + label, content } with varint lengths', async () => {
    const seen: Uint8Array[] = [];
    const signature = await signWithLabel(
      async (bytes) => {
        seen.push(bytes);
        return Uint8Array.of(7);
      },
      'FramedContentTBS',
      Uint8Array.of(1, 2, 3),
    );
    const label = Buffer.from('MLS 1.0 FramedContentTBS');
    expect(Buffer.from(seen[0]!).toString('hex')).toBe(Buffer.concat([Buffer.of(label.length), label, Buffer.of(3, 1, 2, 3)]).toString('hex'));
    expect(signature).toEqual(Uint8Array.of(7));
    const long = signContent('X', new Uint8Array(100));
    expect([...long.subarray(10, 12)]).toEqual([0x40, 100]); // 2-byte varint for 100 bytes
  });

  it('produces exactly the bytes ts-mls signs with the private key itself (Ed25519 is deterministic)', async () => {
    const service = await makeServiceSender('acme');
    const group = await aliceAndBob('room-sig', [{ signaturePublicKey: service.signaturePublicKey, credential: service.credential }]);
    const { groupContext } = await verifyGroupInfo(group.groupInfo, basicMembers);
    const ours = await signExternalRemove({ groupContext, removedLeafIndex: 1, signaturePublicKey: service.signaturePublicKey, sign: service.sign });
    const theirs = await protectExternalProposalPublic(
      service.signaturePrivateKey,
      groupContext,
      new Uint8Array(),
      { proposalType: 'remove', remove: { removed: 1 } },
      { senderType: 'external', senderIndex: 0 },
      group.cs,
    );
    const expected = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage: theirs.publicMessage });
    expect(Buffer.from(ours.message).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('a signature over SignContent made outside ts-mls verifies with ts-mls verifyWithLabel', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey));
    const content = new TextEncoder().encode('content');
    const signature = await signWithLabel(
      async (b) => new Uint8Array(await webcrypto.subtle.sign('Ed25519', keys.privateKey, b)),
      'GroupInfoTBS',
      content,
    );
    const { ciphersuiteImpl } = await import('./ciphersuite.js');
    const cs = await ciphersuiteImpl('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519');
    expect(await verifyWithLabel(publicKey, 'GroupInfoTBS', content, signature, cs.signature)).toBe(true);
    expect(await verifyWithLabel(publicKey, 'FramedContentTBS', content, signature, cs.signature)).toBe(false);
  });
});

describe('ECDSA P-256 signer (cipher suite 0x0002)', () => {
  it('signs SignContent over the FramedContentTBS; the DER ECDSA-SHA256 signature closes the message and verifies', async () => {
    const { generateKeyPairSync, sign, verify } = await import('node:crypto');
    const { externalSendersExtension } = await import('./external-senders.js');
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const rawPublic = new Uint8Array(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]));
    const service = await makeServiceSender('acme');
    const group = await aliceAndBob('room-p256', [{ signaturePublicKey: service.signaturePublicKey, credential: service.credential }]);
    const groupContext = {
      ...group.alice.groupContext,
      cipherSuite: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256' as const,
      extensions: [
        externalSendersExtension([{ signaturePublicKey: rawPublic, credential: { credentialType: 'basic', identity: new Uint8Array([1]) } }]),
      ],
    };
    let given: Uint8Array = new Uint8Array();
    let produced: Uint8Array = new Uint8Array();
    const signed = await signExternalRemove({
      groupContext,
      removedLeafIndex: 1,
      signaturePublicKey: rawPublic,
      sign: async (bytes) => {
        given = bytes;
        produced = new Uint8Array(sign('sha256', bytes, { key: pair.privateKey, dsaEncoding: 'der' }));
        return produced;
      },
    });
    expect(produced[0]).toBe(0x30); // DER SEQUENCE (Ecdsa-Sig-Value), 70-72 bytes: a 2-byte varint length
    const tbs = signed.message.subarray(0, signed.message.length - produced.length - 2);
    expect(Buffer.from(signed.message.subarray(tbs.length)).toString('hex')).toBe(
      Buffer.concat([Buffer.of(0x40, produced.length), Buffer.from(produced)]).toString('hex'),
    );
    expect(Buffer.from(given)).toEqual(Buffer.from(signContent('FramedContentTBS', tbs)));
    expect(verify('sha256', given, { key: pair.publicKey, dsaEncoding: 'der' }, produced)).toBe(true);
  });
});
