import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { ciphersuiteSignature, webCryptoSignatureParams } from '#mls';
import { signDeviceRequest } from '#protocol';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { IssuedChain } from '../../apps/identity-service/src/certificates/certificate-authority.service.js';
import { DeviceCertificationService } from '../../apps/identity-service/src/enrollment/device-certification.service.js';

/** What a device holds: its MLS signature key pair and the cipher suite it serves. */
export interface DeviceKeys {
  ciphersuite: number;
  keys: CryptoKeyPair;
  spki: Uint8Array;
}

/** WebCrypto names of a suite's signature key, from the one table in #mls. */
function suite(ciphersuite: number) {
  const { generate, sign } = webCryptoSignatureParams(ciphersuiteSignature(ciphersuite).keyAlgorithm);
  return { gen: generate, sign };
}

export async function deviceKeys(ciphersuite = 1): Promise<DeviceKeys> {
  const keys = (await webcrypto.subtle.generateKey(suite(ciphersuite).gen, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return { ciphersuite, keys, spki };
}

export async function csrPem(device: DeviceKeys, signWith?: CryptoKeyPair): Promise<string> {
  const csr = await Pkcs10CertificateRequestGenerator.create(
    { name: 'CN=device', keys: signWith ?? device.keys, signingAlgorithm: suite(device.ciphersuite).sign },
    webcrypto as Crypto,
  );
  return csr.toString('pem');
}

/** `Authorization: MLS-Device <JWS>` for one request, signed with the device key by the SDK's signer. */
export async function deviceAuthorization(
  device: DeviceKeys,
  chainDer: Uint8Array[],
  request: { method: string; path: string; body?: string; iat?: number; jti?: string },
): Promise<string> {
  return signDeviceRequest(
    { ciphersuite: device.ciphersuite, privateKey: device.keys.privateKey, chainDer },
    { method: request.method, pathWithQuery: request.path, body: new TextEncoder().encode(request.body ?? '') },
    { now: request.iat === undefined ? undefined : request.iat * 1000, jti: request.jti },
  );
}

/**
 * An enrolled device without the OIDC part: a device row for the account and a real
 * certificate from the org's CA (what enrollment ends in).
 */
export async function enrolledDevice(
  app: INestApplication,
  orgId: string,
  accountId: string,
  ciphersuite = 1,
): Promise<{ deviceId: string; device: DeviceKeys; chain: IssuedChain }> {
  const ds = app.get<DataSource>(getDataSourceToken());
  const device = await deviceKeys(ciphersuite);
  return ds.transaction(async (m) => {
    const [row] = await m.query(
      `INSERT INTO device (org_id, account_id, name, platform, ciphersuite, signature_key, signature_key_sha256)
       VALUES ($1, $2, 'laptop', 'linux', $3, $4, $5) RETURNING id`,
      [orgId, accountId, ciphersuite, Buffer.from(device.spki), createHash('sha256').update(device.spki).digest()],
    );
    const chain = await app.get(DeviceCertificationService).certify(m, { orgId, deviceId: row.id });
    return { deviceId: row.id, device, chain };
  });
}
