import { createHash } from 'node:crypto';
import { checkCertificationRequest } from '#x509-profile';
import { ciphersuiteImpl } from '#mls';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { createCertificationRequest, keyBoundNonce } from './certification-request.js';
import { ciphersuiteKeyParams } from './ciphersuite.js';
import { exportDeviceKeys, exportMlsSignatureKeyPair, generateDeviceKeys, importDeviceKeys } from './device-keys.js';
import { signDeviceRequest } from './device-request-signature.js';
import { UnsupportedCiphersuite } from './errors.js';

describe('generateDeviceKeys and the CSR', () => {
  it.each([1, 2, 3, 7])('cipher suite %i: a CSR the service profile accepts for that suite, for this key', async (suite) => {
    const keys = await generateDeviceKeys(suite);
    const csr = await createCertificationRequest(keys);
    const checked = await checkCertificationRequest(csr.pem, { ciphersuite: suite });
    expect(Buffer.from(checked.subjectPublicKeyInfo)).toEqual(Buffer.from(keys.subjectPublicKeyInfo));
    expect(csr.der[0]).toBe(0x30);
    expect((await checkCertificationRequest(csr.der, { ciphersuite: suite })).keyAlgorithm).toBe(checked.keyAlgorithm);
  });

  it('refuses a cipher suite without a supported signature key', async () => {
    await expect(generateDeviceKeys(0x0005)).rejects.toBeInstanceOf(UnsupportedCiphersuite);
  });

  it('keyBoundNonce is base64url(SHA-256(SubjectPublicKeyInfo))', async () => {
    const keys = await generateDeviceKeys(1);
    expect(await keyBoundNonce(keys)).toBe(createHash('sha256').update(keys.subjectPublicKeyInfo).digest('base64url'));
  });

  it('exports the MLS signature key pair in the form ts-mls signs with', async () => {
    const keys = await generateDeviceKeys(1);
    const pair = await exportMlsSignatureKeyPair(keys);
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKey).toHaveLength(32);
    const cs = await ciphersuiteImpl(ciphersuiteKeyParams(1).name);
    const message = new TextEncoder().encode('leaf node');
    const signature = await cs.signature.sign(pair.privateKey, message);
    expect(await crypto.subtle.verify('Ed25519', keys.keyPair.publicKey, signature as Uint8Array<ArrayBuffer>, message)).toBe(true);
    expect(await cs.signature.verify(pair.publicKey, message, signature)).toBe(true);
  });

  it.each([2, 7])('suite %i: the exported EC key pair signs and verifies in ts-mls', async (suite) => {
    const keys = await generateDeviceKeys(suite);
    const pair = await exportMlsSignatureKeyPair(keys);
    expect(pair.publicKey[0]).toBe(0x04);
    const cs = await ciphersuiteImpl(ciphersuiteKeyParams(suite).name);
    const message = new TextEncoder().encode('leaf node');
    const signature = await cs.signature.sign(pair.privateKey, message);
    expect(await cs.signature.verify(pair.publicKey, message, signature)).toBe(true);
    expect(await cs.signature.verify(pair.publicKey, new TextEncoder().encode('other'), signature)).toBe(false);
  });

  it.each([1, 2, 7])('suite %i: stored keys come back as the same key pair', async (suite) => {
    const keys = await generateDeviceKeys(suite);
    const back = await importDeviceKeys(JSON.parse(JSON.stringify(await exportDeviceKeys(keys))));
    expect(back.ciphersuite).toBe(suite);
    expect(Buffer.from(back.signaturePublicKey)).toEqual(Buffer.from(keys.signaturePublicKey));
    expect(Buffer.from(back.subjectPublicKeyInfo)).toEqual(Buffer.from(keys.subjectPublicKeyInfo));
    const sign = ciphersuiteKeyParams(suite).sign;
    const sig = await crypto.subtle.sign(sign, back.keyPair.privateKey, new Uint8Array([1]));
    expect(await crypto.subtle.verify(sign, keys.keyPair.publicKey, sig, new Uint8Array([1]))).toBe(true);
  });

  it('a stored key without its private part is refused with a typed error', async () => {
    const stored = await exportDeviceKeys(await generateDeviceKeys(1));
    const { d: _d, ...publicOnly } = stored.privateJwk;
    await expect(importDeviceKeys({ ciphersuite: 1, privateJwk: publicOnly })).rejects.toMatchObject({ code: 'ERR_STORED_STATE_MALFORMED' });
    await expect(importDeviceKeys({ ciphersuite: 2, privateJwk: stored.privateJwk })).rejects.toMatchObject({ code: 'ERR_STORED_STATE_MALFORMED' });
  });
});

describe('signDeviceRequest (Authorization: MLS-Device)', () => {
  it.each([1, 2, 7])('suite %i: compact JWS with typ, x5c and claims binding method, path and body', async (suite) => {
    const keys = await generateDeviceKeys(suite);
    const chainDer = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
    const body = new TextEncoder().encode('{"csr":"x"}');
    const header = await signDeviceRequest(
      { keys, chainDer },
      { method: 'post', pathWithQuery: '/v1/devices/d/certificate/renew?x=1', body },
      { now: 1_700_000_000_000 },
    );
    const jws = header.slice('MLS-Device '.length);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: ciphersuiteKeyParams(suite).jwsAlg, typ: 'mls-device-request+jwt', x5c: ['AQID', 'BAU='] });
    const { payload } = await compactVerify(jws, keys.keyPair.publicKey);
    const claims = JSON.parse(new TextDecoder().decode(payload));
    expect(claims).toMatchObject({
      htm: 'POST',
      htu: '/v1/devices/d/certificate/renew?x=1',
      iat: 1_700_000_000,
      bh: createHash('sha256').update(body).digest('base64url'),
    });
    expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
    const again = await signDeviceRequest({ keys, chainDer }, { method: 'GET', pathWithQuery: '/kt/acme/checkpoint' });
    const second = JSON.parse(new TextDecoder().decode((await compactVerify(again.slice(11), keys.keyPair.publicKey)).payload));
    expect(second.jti).not.toBe(claims.jti);
    expect(second.bh).toBe(createHash('sha256').update(new Uint8Array()).digest('base64url'));
  });
});
