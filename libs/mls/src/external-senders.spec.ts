import { decodeExternalSender, encodeExternalSender, encodeRequiredCapabilities, type GroupContext } from 'ts-mls';
import { MlsDecodeError, MlsExternalSenderNotListedError } from './errors.js';
import {
  decodeExternalSenders,
  encodeExternalSenders,
  externalSenderIndex,
  externalSendersExtension,
  externalSendersOf,
} from './external-senders.js';

const key1 = new Uint8Array(32).fill(0x11);
const key2 = new Uint8Array(32).fill(0x22);
const svc = new TextEncoder().encode('svc');
// 100 bytes needs the 2-byte varint form (§2.1.2), exercising both length sizes
const cert = Uint8Array.from({ length: 100 }, (_, i) => (i === 0 ? 0x30 : i));

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('external_senders (RFC 9420 §12.1.8.1) encoding', () => {
  it('encodes one basic sender byte for byte as the RFC struct', () => {
    // ExternalSender external_senders<V> = varint(39) ||
    //   SignaturePublicKey: opaque signature_key<V> = varint(32) || key
    //   Credential { uint16 credential_type = 1; opaque identity<V> = varint(3) || "svc" }
    const expected = Buffer.concat([Buffer.of(39), Buffer.of(32), Buffer.from(key1), Buffer.of(0x00, 0x01), Buffer.of(3), Buffer.from('svc')]);
    const encoded = encodeExternalSenders([{ signaturePublicKey: key1, credential: { credentialType: 'basic', identity: svc } }]);
    expect(hex(encoded)).toBe(expected.toString('hex'));
  });

  it('encodes a two-sender list with an x509 chain and 2-byte lengths', () => {
    const senderA = Buffer.concat([Buffer.of(32), Buffer.from(key1), Buffer.of(0x00, 0x01, 3), Buffer.from('svc')]);
    // x509: uint16 type 2; Certificate certificates<V> = varint(2 + 100) || (varint(100) || cert)
    const certificates = Buffer.concat([Buffer.of(0x40, 100), Buffer.from(cert)]);
    const senderB = Buffer.concat([Buffer.of(32), Buffer.from(key2), Buffer.of(0x00, 0x02), Buffer.of(0x40, certificates.length), certificates]);
    const body = Buffer.concat([senderA, senderB]);
    const expected = Buffer.concat([Buffer.of(0x40 | (body.length >> 8), body.length & 0xff), body]);
    const senders = [
      { signaturePublicKey: key1, credential: { credentialType: 'basic' as const, identity: svc } },
      { signaturePublicKey: key2, credential: { credentialType: 'x509' as const, certificates: [cert] } },
    ];
    const encoded = encodeExternalSenders(senders);
    expect(hex(encoded)).toBe(expected.toString('hex'));
    expect(decodeExternalSenders(encoded)).toEqual(senders);
  });

  it('differs from the single ExternalSender ts-mls 1.6.4 writes, which it cannot read back as a list', () => {
    const sender = { signaturePublicKey: key1, credential: { credentialType: 'basic' as const, identity: svc } };
    const single = encodeExternalSender(sender);
    expect(hex(encodeExternalSenders([sender]))).toBe('27' + hex(single));
    // the 1.6.4 decoder takes the list prefix for the key length and then finds no credential
    expect(decodeExternalSender(encodeExternalSenders([sender]), 0)).toBeUndefined();
    expect(() => decodeExternalSenders(single)).toThrow(MlsDecodeError);
  });

  it.each([
    ['truncated list', '28' + '20' + '11'.repeat(32) + '0001' + '03' + '737663'],
    ['trailing byte', '27' + '20' + '11'.repeat(32) + '0001' + '03' + '737663' + '00'],
    ['non-minimal length', '4027' + '20' + '11'.repeat(32) + '0001' + '03' + '737663'],
    ['8-byte length', 'c0000000000000' + '27'],
    ['unknown credential type', '27' + '20' + '11'.repeat(32) + '0009' + '03' + '737663'],
    ['empty input', ''],
  ])('refuses %s with MlsDecodeError', (_name, input) => {
    expect(() => decodeExternalSenders(Buffer.from(input, 'hex'))).toThrow(MlsDecodeError);
  });

  it('decodes the empty list', () => {
    expect(decodeExternalSenders(Uint8Array.of(0))).toEqual([]);
  });
});

describe('sender index within the list (§6 sender_index)', () => {
  const context: Pick<GroupContext, 'extensions'> = {
    extensions: [
      {
        extensionType: 'required_capabilities',
        extensionData: encodeRequiredCapabilities({ extensionTypes: [], proposalTypes: [], credentialTypes: [] }),
      },
      externalSendersExtension([
        { signaturePublicKey: key1, credential: { credentialType: 'basic', identity: svc } },
        { signaturePublicKey: key2, credential: { credentialType: 'basic', identity: svc } },
      ]),
    ],
  };

  it('counts positions in the list, not among GroupContext extensions', () => {
    expect(externalSenderIndex(context, key1)).toBe(0);
    expect(externalSenderIndex(context, key2)).toBe(1);
  });

  it('reports an unlisted key or a group without the extension with a typed error', () => {
    expect(() => externalSenderIndex(context, new Uint8Array(32))).toThrow(MlsExternalSenderNotListedError);
    expect(() => externalSenderIndex({ extensions: [] }, key1)).toThrow(MlsExternalSenderNotListedError);
    expect(externalSendersOf({ extensions: [] })).toBeUndefined();
  });

  it('refuses a GroupContext with two external_senders extensions', () => {
    const ext = externalSendersExtension([]);
    expect(() => externalSendersOf({ extensions: [ext, ext] })).toThrow(MlsDecodeError);
  });
});
