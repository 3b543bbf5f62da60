import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { decodeCredential, encodeCredential as tsMlsEncodeCredential } from 'ts-mls/credential.js';
import { makeServiceSender } from '../test-support/group-fixture.js';
import { encodeCredential } from './credential.js';
import { MlsDecodeError, MlsInvalidArgumentError, MlsUnexpectedContentError } from './errors.js';
import { encodeVarintLength } from './presentation-language.js';
import { certificateChainOf, decodeX509Credential, encodeX509Credential, leafCertificateOf, x509CredentialFromChain } from './x509-credential.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('x509 Credential (RFC 9420 §5.3)', () => {
  it('carries a real DER chain leaf first, encoded as ts-mls and the RFC agree', async () => {
    const { chain, signaturePublicKey } = await makeServiceSender('acme');
    const credential = x509CredentialFromChain(chain);
    const bytes = encodeCredential(credential);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(tsMlsEncodeCredential(credential)));
    const [decoded, length] = decodeCredential(bytes, 0)!;
    expect(length).toBe(bytes.length);
    expect(certificateChainOf(decoded).map((c) => Buffer.from(c))).toEqual(chain.map((c) => Buffer.from(c)));
    // §5.3.1: the leaf's key is the MLS signature key
    const leaf = new x509.X509Certificate(new Uint8Array(leafCertificateOf(decoded)));
    const spki = Buffer.from(leaf.publicKey.rawData);
    expect(spki.subarray(spki.length - 32)).toEqual(Buffer.from(signaturePublicKey));
  });

  it('refuses an empty chain and non-DER input', () => {
    expect(() => x509CredentialFromChain([])).toThrow(MlsInvalidArgumentError);
    expect(() => x509CredentialFromChain([new TextEncoder().encode('-----BEGIN CERTIFICATE-----')])).toThrow(MlsInvalidArgumentError);
  });

  it('refuses to read a chain out of a basic credential', () => {
    expect(() => certificateChainOf({ credentialType: 'basic', identity: new Uint8Array(1) })).toThrow(MlsUnexpectedContentError);
  });
});

describe('encodeX509Credential / decodeX509Credential: the one codec of the bytes', () => {
  it('matches a hand-computed encoding', () => {
    const a = bytes('30 03 02 01 05');
    const b = bytes('30 00');
    // credential_type = x509 (0x0002); certificates<V> of 9 bytes: [05 | a] [02 | b]
    const expected = '0002 09 05 3003020105 02 3000'.replace(/\s/g, '');
    expect(hex(encodeX509Credential([a, b]))).toBe(expected);
    expect(decodeX509Credential(bytes(expected))).toEqual([a, b]);
  });

  it('round-trips a real chain, leaf first, byte-identical to ts-mls, which decodes it', async () => {
    const { chain } = await makeServiceSender('acme');
    const encoded = encodeX509Credential(chain);
    // Both certificates are longer than 63 bytes: 2-byte lengths inside a 2-byte outer length.
    expect(encoded[2]! >> 6).toBe(1);
    expect(encoded[4]! >> 6).toBe(1);
    expect(hex(encoded.subarray(4, 6))).toBe(hex(encodeVarintLength(chain[0]!.length)));
    expect(decodeX509Credential(encoded)).toEqual(chain);
    expect(hex(tsMlsEncodeCredential({ credentialType: 'x509', certificates: chain }))).toBe(hex(encoded));
    const decoded = decodeCredential(encoded, 0);
    expect(decoded?.[0]).toEqual({ credentialType: 'x509', certificates: chain });
    expect(decoded?.[1]).toBe(encoded.length);
  });

  it('decodes strictly', () => {
    const good = '0002 09 05 3003020105 02 3000';
    const bad = [
      '',
      '00',
      '0001 09 05 3003020105 02 3000', // basic credential
      '0002 00', // no certificate
      '0002 09 05 3003020105 02 3000 00', // trailing byte
      '0002 0a 05 3003020105 02 3000', // outer length too long
      '0002 08 05 3003020105 02 30', // inner vector runs past the outer
      '0002 4009 05 3003020105 02 3000', // non-minimal outer length
      '0002 09 05 3003020105 02 0100', // cert_data is not a DER SEQUENCE
      '0002 09 05 3004020105 02 3000', // DER length disagrees with cert_data
      '0002 0a 02 3000 02 3000 02 3000 02 3000 02 3000'.replace('0a', '0f'), // five certificates
    ];
    expect(decodeX509Credential(bytes(good))).toHaveLength(2);
    for (const encoded of bad) {
      expect(() => decodeX509Credential(bytes(encoded))).toThrow(MlsDecodeError);
    }
    expect(() => encodeX509Credential([])).toThrow(MlsInvalidArgumentError);
    expect(() => encodeX509Credential([bytes('01')])).toThrow(MlsInvalidArgumentError);
  });
});
