// ts-mls clients holding the REAL credentials of enrolled devices (org CA chains), and a
// fake delivery service that talks to the identity service the way a real one would.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import {
  createCommit,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  joinGroup,
  type CiphersuiteImpl,
  type ClientState,
  type Extension,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { ciphersuiteImpl, createGroupWithExternalSenders, x509CredentialFromChain, type RemovedMemberRevoked } from '#mls';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { keyBoundNonce } from '#protocol';
import { enrollNative, nativeSignIn, type Harness } from '../enrollment/enrollment-harness.js';
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
  return withKeyPackage(name, accountId, deviceId, device, chain.chainDer);
}

/**
 * A device enrolled the way a native app does it: the user signs in at the IdP (authorization
 * code + PKCE, nonce bound to the device key) and the app posts its CSR with the ID token.
 */
export async function mlsClientEnrolledWithOidc(h: Pick<Harness, 't' | 'idp' | 'org'>, login: string, name: string): Promise<MlsClient> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'Ed25519' } }, webcrypto as Crypto);
  const nonce = keyBoundNonce(spki);
  const idToken = await nativeSignIn(h.idp, login, nonce);
  const res = await enrollNative(h as Harness, { csrPem: csr.toString('pem'), spki, nonce }, idToken, { deviceName: name });
  if (res.status !== 201) throw new Error(`enrollment of ${name} failed: ${res.status} ${res.text}`);
  const chainDer = (res.body.chainDer as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  return withKeyPackage(name, res.body.accountId, res.body.deviceId, { ciphersuite: 1, keys, spki }, chainDer);
}

async function withKeyPackage(name: string, accountId: string, deviceId: string, device: DeviceKeys, chainDer: Uint8Array[]): Promise<MlsClient> {
  // ts-mls signs Ed25519 with a PKCS#8 private key and carries the raw 32-byte public key
  const signKey = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', device.keys.privateKey));
  const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', device.keys.publicKey));
  const kp = await generateKeyPackageWithKey(
    x509CredentialFromChain(chainDer),
    defaultCapabilities(),
    defaultLifetime,
    [],
    { signKey, publicKey },
    await suite(),
  );
  return { name, accountId, deviceId, device, chainDer, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage };
}

export async function groupInfoBytes(state: ClientState): Promise<Uint8Array> {
  // signed with the group's own suite (groups of every advertised suite are reported)
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], await ciphersuiteImpl(state.groupContext.cipherSuite));
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo });
}

/** The org's published `external_senders` extension for a suite, as a member puts it in a new group. */
export async function publishedExternalSenders(url: string, org: string, ciphersuite = 1): Promise<Extension> {
  const published = await call(url, 'GET', `/v1/orgs/${org}/mls/external-senders`);
  if (published.status !== 200) throw new Error(`external senders of ${org}: ${published.status}`);
  const sender = published.body.externalSenders.find((s: { ciphersuite: number }) => s.ciphersuite === ciphersuite);
  return { extensionType: 'external_senders', extensionData: new Uint8Array(Buffer.from(sender.externalSendersExtensionData, 'base64')) };
}

export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
export const groupPath = (state: ClientState) => Buffer.from(state.groupContext.groupId).toString('base64url');

/**
 * The receiver's revocation check (libs/mls RemovedMemberRevoked) against the service's
 * certificate status API, as a member's app would ask it.
 */
export function statusApiRevocation(url: string, token: string): RemovedMemberRevoked {
  return async (member) => {
    if (member.credential.credentialType !== 'x509') return false;
    const res = await call(url, 'POST', '/v1/certificates/status', { token, body: { chains: [member.credential.certificates.map(b64)] } });
    if (res.status !== 200) throw new Error(`status API answered ${res.status}`);
    return res.body.results[0]?.status === 'revoked';
  };
}

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

  /**
   * `creator` makes a group listing the service (`externalSenders`) and adds `others` in one
   * commit; the DS reports epoch 0, has the commit authorized (continuity), then reports epoch 1.
   */
  async reportedGroup(name: string, creator: MlsClient, others: MlsClient[], externalSenders: Extension) {
    const cs = await suite();
    const created = await createGroupWithExternalSenders(
      new TextEncoder().encode(name),
      creator.publicPackage,
      creator.privatePackage,
      [externalSenders],
      cs,
    );
    const epoch0 = await this.report(created);
    const added = await createCommit(
      { state: created, cipherSuite: cs },
      {
        extraProposals: others.map((o) => ({ proposalType: 'add' as const, add: { keyPackage: o.publicPackage } })),
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    for (const o of others) await joinGroup(added.welcome!, o.publicPackage, o.privatePackage, emptyPskIndex, cs);
    await this.authorize(created, encodeMlsMessage(added.commit));
    return { state: added.newState, epoch0, epoch1: await this.report(added.newState) };
  }

  async feed(after: string, wait = 0) {
    return call(this.url, 'GET', `/v1/ds/removals?after=${after}&wait=${wait}`, { token: this.token });
  }
}
