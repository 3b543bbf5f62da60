// Real ts-mls groups in memory for the libs/mls specs: Alice creates a group that lists the
// service as external sender in RFC 9420 list form, after required_capabilities, the way the
// OpenMLS-based client does; Bob joins through a Welcome.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  createCommit,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  encodeRequiredCapabilities,
  generateKeyPackage,
  joinGroup,
  type CiphersuiteImpl,
  type ClientState,
  type Credential,
  type ExternalSender,
} from 'ts-mls';
import { ciphersuiteImpl } from '../src/ciphersuite.js';
import { externalSendersExtension } from '../src/external-senders.js';
import { createGroupWithExternalSenders } from '../src/group-creation.js';
import type { MlsSigner } from '../src/sign-with-label.js';
import { x509CredentialFromChain } from '../src/x509-credential.js';

export const SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

export interface ServiceSender {
  signaturePublicKey: Uint8Array;
  /** PKCS#8, which ts-mls' Ed25519 signer takes (its own keygen returns this form) */
  signaturePrivateKey: Uint8Array;
  /** what a key-custody service offers instead of the key: Ed25519 over SignContent */
  sign: MlsSigner;
  credential: Credential;
  chain: Uint8Array[];
}

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** An org CA and the service's removal identity certified by it, Ed25519 throughout. */
export async function makeServiceSender(org = 'acme'): Promise<ServiceSender> {
  const alg = { name: 'Ed25519' } as const;
  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${org} device CA`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  } as x509.X509CertificateCreateSelfSignedParams);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=removal service',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `mls-identity://${org}/service/removal` }]),
    ],
  });
  const chain = [new Uint8Array(leaf.rawData), new Uint8Array(ca.rawData)];
  return {
    signaturePublicKey: new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey)),
    signaturePrivateKey: new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    sign: async (signContent) => new Uint8Array(await webcrypto.subtle.sign('Ed25519', keys.privateKey, signContent)),
    credential: x509CredentialFromChain(chain),
    chain,
  };
}

export function basicCredential(name: string): Credential {
  return { credentialType: 'basic', identity: new TextEncoder().encode(name) };
}

/** The credential policy of these fixtures' groups: basic credentials (no certificates to bind). */
export const basicMembers = (leaf: { credential: Credential }) => leaf.credential.credentialType === 'basic';

export async function member(name: string, cs: CiphersuiteImpl) {
  return generateKeyPackage(basicCredential(name), defaultCapabilities(), defaultLifetime, [], cs);
}

export interface TwoMemberGroup {
  cs: CiphersuiteImpl;
  alice: ClientState;
  bob: ClientState;
  bobLeafIndex: number;
  /** MLSMessage bytes of Alice's GroupInfo with the ratchet_tree extension */
  groupInfo: Uint8Array;
}

/** Alice's group with `senders` as external_senders (RFC list, after required_capabilities), Bob added. */
export async function aliceAndBob(groupId: string, senders: ExternalSender[]): Promise<TwoMemberGroup> {
  const cs = await ciphersuiteImpl(SUITE);
  const a = await member('alice', cs);
  const b = await member('bob', cs);
  const requiredCapabilities = {
    extensionType: 'required_capabilities' as const,
    extensionData: encodeRequiredCapabilities({ extensionTypes: [], proposalTypes: [], credentialTypes: ['basic'] }),
  };
  const created = await createGroupWithExternalSenders(
    new TextEncoder().encode(groupId),
    a.publicPackage,
    a.privatePackage,
    [requiredCapabilities, externalSendersExtension(senders)],
    cs,
  );
  const added = await createCommit(
    { state: created, cipherSuite: cs },
    { extraProposals: [{ proposalType: 'add', add: { keyPackage: b.publicPackage } }], ratchetTreeExtension: true },
  );
  if (added.welcome === undefined) throw new Error('adding Bob produced no Welcome');
  const bob = await joinGroup(added.welcome, b.publicPackage, b.privatePackage, emptyPskIndex, cs);
  const alice = added.newState;
  return { cs, alice, bob, bobLeafIndex: bob.privatePath.leafIndex, groupInfo: await groupInfoOfState(alice, cs) };
}

export async function groupInfoOfState(state: ClientState, cs: CiphersuiteImpl): Promise<Uint8Array> {
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], cs);
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo });
}
