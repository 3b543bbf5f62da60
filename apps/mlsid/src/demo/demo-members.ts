import { exportMlsSignatureKeyPair, mlsCredentialOf, type EnrolledDevice } from '#client-sdk';
import { ciphersuiteImpl } from '#mls';
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

export const DEMO_SUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

export function demoSuite(): Promise<CiphersuiteImpl> {
  return ciphersuiteImpl(DEMO_SUITE);
}

/** A chat client: an enrolled device, and a KeyPackage whose x509 credential is its certificate chain. */
export interface DemoMember {
  label: string;
  login: string;
  device: EnrolledDevice;
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
  state?: ClientState;
}

export async function memberOf(label: string, login: string, device: EnrolledDevice): Promise<DemoMember> {
  const { publicKey, privateKey } = await exportMlsSignatureKeyPair(device.keys);
  const kp = await generateKeyPackageWithKey(
    mlsCredentialOf(device),
    defaultCapabilities(),
    defaultLifetime,
    [],
    { signKey: privateKey, publicKey },
    await demoSuite(),
  );
  return { label, login, device, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage };
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The delivery service's side of the story: it reports GroupInfo, asks before accepting commits, reads the removals feed. */
export class DemoDeliveryService {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: res.status, body: parsed };
  }

  private async ok(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  static groupPath(state: ClientState): string {
    return Buffer.from(state.groupContext.groupId).toString('base64url');
  }

  /** `PUT /v1/ds/groups/{id}`: the group's current GroupInfo (with its ratchet tree). */
  async report(state: ClientState): Promise<any> {
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], await demoSuite());
    const bytes = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo });
    return this.ok('PUT', `/v1/ds/groups/${DemoDeliveryService.groupPath(state)}`, { groupInfo: b64(bytes) });
  }

  /** `POST /v1/ds/groups/{id}/commits/authorize`: may the DS accept this commit? */
  authorize(state: ClientState, commit: Uint8Array): Promise<{ allow: boolean; reasons: { code: string }[] }> {
    return this.ok('POST', `/v1/ds/groups/${DemoDeliveryService.groupPath(state)}/commits/authorize`, { commit: b64(commit) });
  }

  /** `GET /v1/ds/removals`: the signed removals after `cursor`, long-polling up to `wait` seconds. */
  feed(cursor: string, wait: number): Promise<{ cursor: string; removals: any[] }> {
    return this.ok('GET', `/v1/ds/removals?after=${encodeURIComponent(cursor)}&wait=${wait}`);
  }
}
