import 'reflect-metadata';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import * as oidc from 'openid-client';
import { keyBoundNonce } from '#protocol';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { OrgsService, type NewIdpConnection } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../support/database.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { confirmEnrollmentHeadless, signInHeadless, startTestIdp, type TestIdp, type TestIdpProfile, type TestIdpUser } from '../support/test-idp.js';

/** Where the service says it lives; the IdP redirects browsers there (a proxy in real life). */
export const PUBLIC_URL = 'http://mlsid.test';
export const SERVICE_CLIENT = { clientId: 'mls-identity', clientSecret: 'service-secret-0123456789abcdef' };
export const APP_CLIENT = 'chat-app';
const APP_REDIRECT = 'http://127.0.0.1/app-callback';

export interface Harness {
  t: TestApp;
  idp: TestIdp;
  org: Org;
  connectionId: string;
  /** Stops the service and starts a new instance on the same database (and KEK). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  profile: TestIdpProfile,
  options: {
    users?: Record<string, TestIdpUser>;
    connection?: Partial<NewIdpConnection>;
    orgSlug?: string;
    settings?: Record<string, unknown>;
    env?: Record<string, string>;
  } = {},
): Promise<Harness> {
  const idp = await startTestIdp({
    profile,
    clients: [
      { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
      { clientId: APP_CLIENT, redirectUris: [APP_REDIRECT] },
    ],
    users: options.users,
  });
  const db = await createTestDatabase();
  const env = { PUBLIC_URL, OUTBOX_POLL_MS: '60000', KEK: randomBytes(32).toString('base64'), ...options.env };
  const t = await createTestApp({ env, db });
  const orgs = t.app.get(OrgsService);
  const org = await orgs.create('test', options.orgSlug ?? 'acme', 'Acme');
  if (options.settings) {
    await t.dataSource.query(`UPDATE org SET settings = $2 WHERE id = $1`, [org.id, options.settings]);
    org.settings = options.settings;
  }
  const connection = await orgs.addIdpConnection('test', org, {
    name: profile,
    kind: profile,
    issuer: idp.issuer,
    clientId: SERVICE_CLIENT.clientId,
    clientSecret: SERVICE_CLIENT.clientSecret,
    nativeClientIds: [APP_CLIENT],
    // Test fixtures provision accounts by name (as an org without externalId mapping would);
    // binding by verified email is this connection's opt-in. Specs of the default use `connection`.
    matchByVerifiedEmail: true,
    ...options.connection,
  });
  const h: Harness = {
    t,
    idp,
    org,
    connectionId: connection.id,
    async restart() {
      await h.t.close();
      h.t = await createTestApp({ env, db });
    },
    async close() {
      await h.t.close();
      await db.drop();
      await idp.close();
    },
  };
  return h;
}

export async function setEnrollmentPolicy(h: Harness, enrollment: Record<string, unknown>): Promise<void> {
  await h.t.dataSource.query(`UPDATE org SET settings = jsonb_set(settings, '{enrollment}', $2::jsonb) WHERE id = $1`, [
    h.org.id,
    JSON.stringify(enrollment),
  ]);
}

export interface DeviceKey {
  csrPem: string;
  spki: Uint8Array;
  nonce: string;
}

/** A device's fresh MLS signature key (Ed25519, cipher suite 1) and its CSR. */
export async function newDeviceKey(): Promise<DeviceKey> {
  const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'Ed25519' } }, crypto);
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  return { csrPem: csr.toString('pem'), spki, nonce: keyBoundNonce(spki) };
}

/** What a native app does: authorization code + PKCE as a public client, nonce bound to its key. */
export async function nativeSignIn(idp: TestIdp, login: string, nonce: string): Promise<string> {
  const config = await oidc.discovery(new URL(idp.issuer), APP_CLIENT, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: APP_REDIRECT,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const { redirectedTo } = await signInHeadless(url.href, { login });
  if (!redirectedTo) throw new Error('sign-in did not come back to the app');
  const tokens = await oidc.authorizationCodeGrant(config, new URL(redirectedTo), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  return tokens.id_token!;
}

export function enrollNative(h: Harness, key: DeviceKey, idToken: string, extra: Record<string, unknown> = {}) {
  return call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
    body: { csr: key.csrPem, deviceName: 'phone', platform: 'ios', ciphersuite: 1, idToken, ...extra },
  });
}

export async function insertScimAccount(
  h: Harness,
  a: { userName: string; email?: string; externalId?: string; active?: boolean; idpSubject?: string },
): Promise<string> {
  const [row] = await h.t.dataSource.query(
    `INSERT INTO account (org_id, user_name, email, display_name, external_id, active)
     VALUES ($1, $2, $3, $2, $4, $5) RETURNING id`,
    [h.org.id, a.userName, a.email ?? a.userName, a.externalId ?? null, a.active ?? true],
  );
  if (a.idpSubject !== undefined) await bindSubjectDirectly(h, row.id, a.idpSubject);
  return row.id;
}

/** An account's subject bound under the connection (the harness's own unless named), as a sign-in through it would have. */
export async function bindSubjectDirectly(h: Harness, accountId: string, subject: string, connectionId = h.connectionId): Promise<void> {
  await h.t.dataSource.query(
    `INSERT INTO account_idp_binding (org_id, account_id, idp_connection_id, subject, linked_by, bound_at) VALUES ($1, $2, $3, $4, 'sign_in', now())`,
    [h.org.id, accountId, connectionId, subject],
  );
}

/** The subjects bound to an account, by connection id (a pending admin link shows null). */
export async function subjectsOf(h: Harness, accountId: string): Promise<Record<string, string | null>> {
  const rows: { idp_connection_id: string; subject: string | null }[] = await h.t.dataSource.query(
    `SELECT idp_connection_id, subject FROM account_idp_binding WHERE account_id = $1`,
    [accountId],
  );
  return Object.fromEntries(rows.map((r) => [r.idp_connection_id, r.subject]));
}

/** The last refusal audit event of the org. */
export async function lastRefusal(h: Harness): Promise<{ reason: string } | undefined> {
  const [row] = await h.t.dataSource.query(
    `SELECT details FROM audit_event WHERE org_id = $1 AND action = 'enrollment.refuse' ORDER BY id DESC LIMIT 1`,
    [h.org.id],
  );
  return row?.details;
}

/**
 * The person's browser in a redirect or device enrollment: (device) the code typed on the
 * activation page, the IdP sign-in, then the service's confirmation page with `code` (the
 * device's, or another when a test plays a phished person).
 */
export function confirmInBrowser(h: Harness, start: string, login: string, code: string, options: { deny?: boolean } = {}) {
  return confirmEnrollmentHeadless(start, {
    login,
    code,
    reach: (u) => (u.startsWith(PUBLIC_URL) ? h.t.url + u.slice(PUBLIC_URL.length) : u),
    ...options,
  });
}
