import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { ciphersuiteSignature, webCryptoSignatureParams } from '#mls';
import { createOrgPki, generateKeys, issueDevice, type OrgPki } from '../../x509-profile/src/__fixtures__/org-pki.js';
import { bodyHash, DeviceSignatureError, leafOf, signDeviceRequest, verifyDeviceRequest } from './device-request-signature.js';

const NOW = 1_700_000_000_000;

async function reason(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof DeviceSignatureError) return e.reason;
    throw e;
  }
}

describe('Authorization: MLS-Device — the one signer and the one verifier', () => {
  let pki: OrgPki;
  beforeAll(async () => {
    pki = await createOrgPki('acme');
  });

  it.each([
    [1, 'Ed25519'],
    [2, 'P-256'],
    [7, 'P-384'],
  ] as const)('suite %i (%s): what the signer makes, the verifier accepts, bound to method, path and body', async (ciphersuite, algorithm) => {
    const { certificate, keys } = await issueDevice(pki, algorithm);
    const chainDer = [certificate.der, pki.intermediate.der];
    const body = new TextEncoder().encode('{"csr":"x"}');
    const header = await signDeviceRequest(
      { ciphersuite, privateKey: keys.privateKey, chainDer },
      { method: 'post', pathWithQuery: '/v1/x?y=1', body },
      { now: NOW },
    );
    expect(header).toMatch(/^MLS-Device [\w-]+\.[\w-]+\.[\w-]+$/);
    const jws = header.slice('MLS-Device '.length);
    expect(decodeProtectedHeader(jws)).toMatchObject({ alg: ciphersuiteSignature(ciphersuite).jwsAlg, typ: 'mls-device-request+jwt' });
    const { leafDer, chainDer: read } = leafOf(jws);
    expect(read).toEqual(chainDer);
    const request = { method: 'POST', pathWithQuery: '/v1/x?y=1', body, now: NOW / 1000 };
    const claims = await verifyDeviceRequest(jws, leafDer, request);
    expect(claims).toMatchObject({ htm: 'POST', htu: '/v1/x?y=1', iat: NOW / 1000, bh: createHash('sha256').update(body).digest('base64url') });
    expect(claims.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(await reason(verifyDeviceRequest(jws, leafDer, { ...request, method: 'PUT' }))).toBe('wrong_request');
    expect(await reason(verifyDeviceRequest(jws, leafDer, { ...request, pathWithQuery: '/v1/x?y=2' }))).toBe('wrong_request');
    expect(await reason(verifyDeviceRequest(jws, leafDer, { ...request, body: new Uint8Array() }))).toBe('wrong_request');
    expect(await reason(verifyDeviceRequest(jws, leafDer, { ...request, now: NOW / 1000 + 121 }))).toBe('stale');
  });

  it('refuses a signature by another key than the leaf, and other headers', async () => {
    const { certificate } = await issueDevice(pki, 'Ed25519');
    const other = await generateKeys('Ed25519');
    const chainDer = [certificate.der, pki.intermediate.der];
    const header = await signDeviceRequest(
      { ciphersuite: 1, privateKey: other.privateKey, chainDer },
      { method: 'GET', pathWithQuery: '/kt/acme/checkpoint' },
    );
    const jws = header.slice('MLS-Device '.length);
    const request = { method: 'GET', pathWithQuery: '/kt/acme/checkpoint', body: undefined };
    expect(await reason(verifyDeviceRequest(jws, certificate.der, request))).toBe('bad_signature');
    expect(() => leafOf('not.a.jws')).toThrow(DeviceSignatureError);
    const p256 = await issueDevice(pki, 'P-256');
    // alg EdDSA against a P-256 leaf
    expect(await reason(verifyDeviceRequest(jws, p256.certificate.der, request))).toBe('bad_signature');
    expect(await reason(verifyDeviceRequest(jws, Uint8Array.of(1, 2, 3), request))).toBe('malformed');
  });

  it('makes a fresh jti per call unless one is given, and hashes an absent body as empty', async () => {
    const { certificate, keys } = await issueDevice(pki, 'Ed25519');
    const signer = { ciphersuite: 1, privateKey: keys.privateKey, chainDer: [certificate.der] };
    const jtiOf = async (options = {}) => {
      const jws = (await signDeviceRequest(signer, { method: 'GET', pathWithQuery: '/' }, options)).slice('MLS-Device '.length);
      const { payload } = await compactVerify(jws, keys.publicKey);
      return JSON.parse(new TextDecoder().decode(payload)).jti as string;
    };
    expect(await jtiOf()).not.toBe(await jtiOf());
    expect(await jtiOf({ jti: 'fixed-jti-0123456789abcdef' })).toBe('fixed-jti-0123456789abcdef');
    expect(bodyHash(undefined)).toBe(createHash('sha256').digest('base64url'));
    expect(webCryptoSignatureParams('Ed25519').sign).toEqual({ name: 'Ed25519' });
  });
});
