import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { decodeCredential, encodeCredential as tsMlsEncodeCredential } from 'ts-mls/credential.js';
import { makeServiceSender } from '../test-support/group-fixture.js';
import { encodeCredential } from './credential.js';
import { MlsInvalidArgumentError, MlsUnexpectedContentError } from './errors.js';
import { certificateChainOf, leafCertificateOf, x509CredentialFromChain } from './x509-credential.js';

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
