import { encodeMlsMessage, generateKeyPackage, defaultCapabilities, defaultLifetime, type MlsKeyPackage } from 'ts-mls';
import { makeServiceSender, member, SUITE } from '../test-support/group-fixture.js';
import { ciphersuiteImpl } from './ciphersuite.js';
import { MlsDecodeError, MlsSignatureInvalidError } from './errors.js';
import { inspectKeyPackage } from './key-package.js';
import { decodeMlsMessageBytes } from './mls-message.js';
import { certificateChainOf } from './x509-credential.js';

describe('KeyPackage (RFC 9420 §10) inspection', () => {
  it('yields ciphersuite, credential, signature key and reference of a valid KeyPackage', async () => {
    const cs = await ciphersuiteImpl(SUITE);
    const kp = await member('carol', cs);
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage });
    const inspected = await inspectKeyPackage(bytes);
    expect(inspected.cipherSuite).toBe(SUITE);
    expect(inspected.credential).toEqual({ credentialType: 'basic', identity: new TextEncoder().encode('carol') });
    expect(Buffer.from(inspected.signaturePublicKey)).toEqual(Buffer.from(kp.publicPackage.leafNode.signaturePublicKey));
    expect(inspected.keyPackageRef).toHaveLength(32);
  });

  it('reads the x509 chain of a device KeyPackage', async () => {
    const cs = await ciphersuiteImpl(SUITE);
    const device = await makeServiceSender('acme');
    const kp = await generateKeyPackage(device.credential, defaultCapabilities(), defaultLifetime, [], cs);
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage });
    const inspected = await inspectKeyPackage(bytes);
    expect(certificateChainOf(inspected.credential).map((c) => Buffer.from(c))).toEqual(device.chain.map((c) => Buffer.from(c)));
  });

  it('refuses a KeyPackage whose credential was swapped after signing', async () => {
    const cs = await ciphersuiteImpl(SUITE);
    const kp = await member('carol', cs);
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp.publicPackage });
    const m = decodeMlsMessageBytes(bytes) as MlsKeyPackage & { version: 'mls10' };
    const swapped = encodeMlsMessage({
      ...m,
      keyPackage: {
        ...m.keyPackage,
        leafNode: { ...m.keyPackage.leafNode, credential: { credentialType: 'basic', identity: new TextEncoder().encode('mallory') } },
      },
    });
    await expect(inspectKeyPackage(swapped)).rejects.toBeInstanceOf(MlsSignatureInvalidError);
    await expect(inspectKeyPackage(bytes.subarray(0, 40))).rejects.toBeInstanceOf(MlsDecodeError);
  });
});
