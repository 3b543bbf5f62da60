// ts-mls clients holding the REAL credentials of enrolled devices (org CA chains), and a
// fake delivery service that talks to the identity service the way a real one would.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type CiphersuiteImpl,
  type ClientState,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { ciphersuiteImpl, x509CredentialFromChain } from '#mls';
import { enrolledDevice, type DeviceKeys } from '../support/device-client.js';
import { call } from '../support/test-app.js';

export const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

export interface MlsClient {
  name: string;
  accountId: string;
  deviceId: string;
  device: DeviceKeys;
  chainDer: Uint8Array[];
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
  state?: ClientState;
}

export function suite(): Promise<CiphersuiteImpl> {
  return ciphersuiteImpl(SUITE);
}

/** An enrolled device (real certificate) and a KeyPackage whose x509 credential is its chain. */
export async function mlsClient(app: INestApplication, orgId: string, accountId: string, name: string): Promise<MlsClient> {
  const { deviceId, device, chain } = await enrolledDevice(app, orgId, accountId, 1);
  // ts-mls signs Ed25519 with a PKCS#8 private key and carries the raw 32-byte public key
  const signKey = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', device.keys.privateKey));
  const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', device.keys.publicKey));
  const kp = await generateKeyPackageWithKey(
    x509CredentialFromChain(chain.chainDer),
    defaultCapabilities(),
    defaultLifetime,
    [],
    { signKey, publicKey },
    await suite(),
  );
  return { name, accountId, deviceId, device, chainDer: chain.chainDer, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage };
}

export async function groupInfoBytes(state: ClientState): Promise<Uint8Array> {
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], await suite());
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo });
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
export const groupPath = (state: ClientState) => Buffer.from(state.groupContext.groupId).toString('base64url');

/** What a delivery service does with the identity service: reports, authorizations, the feed. */
export class FakeDeliveryService {
  constructor(
    private readonly url: string,
    readonly token: string,
  ) {}

  async report(state: ClientState) {
    return call(this.url, 'PUT', `/v1/ds/groups/${groupPath(state)}`, { token: this.token, body: { groupInfo: b64(await groupInfoBytes(state)) } });
  }

  async authorize(state: ClientState, commit: Uint8Array, proposals: Uint8Array[] = []) {
    return call(this.url, 'POST', `/v1/ds/groups/${groupPath(state)}/commits/authorize`, {
      token: this.token,
      body: { commit: b64(commit), proposals: proposals.map(b64) },
    });
  }

  async feed(after: string, wait = 0) {
    return call(this.url, 'GET', `/v1/ds/removals?after=${after}&wait=${wait}`, { token: this.token });
  }
}
