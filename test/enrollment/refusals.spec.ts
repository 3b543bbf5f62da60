import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import type { JWTPayload } from 'jose';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../apps/identity-service/src/enrollment/oidc/idp-metadata.js';
import { spendIdToken } from '../../apps/identity-service/src/enrollment/oidc/id-token-replay.js';
import type { DomainError } from '../../apps/identity-service/src/common/errors/domain-error.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { call } from '../support/test-app.js';
import {
  enrollNative,
  insertScimAccount,
  lastRefusal,
  nativeSignIn,
  newDeviceKey,
  setEnrollmentPolicy,
  startHarness,
  subjectsOf,
  APP_CLIENT,
  SERVICE_CLIENT,
  type DeviceKey,
  type Harness,
} from './enrollment-harness.js';

/** Every refusal is a problem+json 4xx with a machine-readable reason, and is audited. */
async function expectRefused(h: Harness, res: { status: number; body: any; headers: Headers }, status: number, reason: string) {
  expect([res.status, res.body?.reason]).toEqual([status, reason]);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(await lastRefusal(h)).toMatchObject({ reason });
}

describe('enrollment refusals (okta-like IdP)', () => {
  let h: Harness;
  let key: DeviceKey;
  const mint = (claims: JWTPayload = {}, login = 'alice') => h.idp.mintIdToken(h.idp.idTokenClaims(login, APP_CLIENT, key.nonce, claims));

  beforeAll(async () => {
    h = await startHarness('okta', {
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
        carol: { email: 'carol@acme.example', amr: ['pwd', 'mfa'] },
        pwdonly: { email: 'pwdonly@acme.example', amr: ['pwd'] },
        many: { email: 'many@acme.example', amr: ['pwd', 'mfa'] },
      },
    });
    for (const u of ['alice', 'pwdonly', 'many']) await insertScimAccount(h, { userName: `${u}@acme.example` });
    await insertScimAccount(h, { userName: 'carol@acme.example', active: false });
  });
  beforeEach(async () => {
    key = await newDeviceKey();
  });
  afterAll(() => h.close());

  it('accepts a well-formed token minted with the IdP key (the control for the cases below)', async () => {
    const res = await enrollNative(h, key, await mint());
    expect(res.status).toBe(201);
  });

  it('refuses a token whose nonce is bound to another key', async () => {
    const other = await newDeviceKey();
    const token = await nativeSignIn(h.idp, 'alice', other.nonce);
    await expectRefused(h, await enrollNative(h, key, token), 401, 'id_token_nonce_mismatch');
  });

  it('refuses a replayed ID token (same jti), and a token whose key is already enrolled', async () => {
    const first = await mint({ jti: 'jti-once' });
    expect((await enrollNative(h, key, first)).status).toBe(201);
    await expectRefused(h, await enrollNative(h, key, first), 409, 'signature_key_already_used');
    // A fresh token for the already enrolled key: the key itself is refused.
    await expectRefused(h, await enrollNative(h, key, await mint()), 409, 'signature_key_already_used');
    const key2 = await newDeviceKey();
    const sameJti = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key2.nonce, { jti: 'jti-once' }));
    await expectRefused(h, await enrollNative(h, key2, sameJti), 401, 'id_token_replayed');
  });

  it('refuses a key its device rotated away from (it is in the key history, no longer on any device)', async () => {
    const rotated = await newDeviceKey();
    const res = await enrollNative(h, rotated, await mint({ nonce: rotated.nonce }));
    expect(res.status).toBe(201);
    // What a key-rotating renewal leaves behind: the device holds a new key, the old one is history.
    const oldHash = createHash('sha256').update(rotated.spki).digest();
    await h.t.dataSource.query(`INSERT INTO device_key_history (signature_key_sha256, device_id) VALUES ($1, $2)`, [oldHash, res.body.deviceId]);
    await h.t.dataSource.query(`UPDATE device SET signature_key_sha256 = $2 WHERE id = $1`, [res.body.deviceId, randomBytes(32)]);
    await expectRefused(h, await enrollNative(h, rotated, await mint({ nonce: rotated.nonce })), 409, 'signature_key_already_used');
  });

  it('spends a token once even without jti (by its nonce), and only when the enrollment commits', async () => {
    const claims = { iss: h.idp.issuer, nonce: `n-${Date.now()}`, exp: Math.floor(Date.now() / 1000) + 60 };
    await expect(
      h.t.dataSource.transaction(async (m) => {
        await spendIdToken(m, h.org.id, claims, 'token');
        throw new Error('enrollment failed later in the transaction');
      }),
    ).rejects.toThrow('enrollment failed later');
    await h.t.dataSource.transaction((m) => spendIdToken(m, h.org.id, claims, 'token'));
    await expect(h.t.dataSource.transaction((m) => spendIdToken(m, h.org.id, claims, 'token'))).rejects.toMatchObject({
      code: 'id_token_replayed',
    } satisfies Partial<DomainError>);
  });

  it('refuses an expired token (beyond the allowed clock skew)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(h, await enrollNative(h, key, await mint({ iat: now - 600, exp: now - 300 })), 401, 'id_token_expired');
  });

  it('refuses a token issued too long ago, or in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(h, await enrollNative(h, key, await mint({ iat: now - 3600, exp: now + 3600 })), 401, 'id_token_too_old');
    await expectRefused(h, await enrollNative(h, key, await mint({ iat: now + 600, exp: now + 900 })), 401, 'id_token_not_yet_valid');
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(h, await enrollNative(h, key, await mint({ aud: 'some-other-app' })), 401, 'id_token_wrong_audience');
  });

  it('refuses several audiences without azp, and an azp that is not ours', async () => {
    await expectRefused(h, await enrollNative(h, key, await mint({ aud: [APP_CLIENT, 'other'] })), 401, 'id_token_azp_mismatch');
    await expectRefused(h, await enrollNative(h, key, await mint({ aud: [APP_CLIENT, 'other'], azp: 'other' })), 401, 'id_token_azp_mismatch');
  });

  it('refuses a token from another issuer, even when signed with the right key', async () => {
    await expectRefused(h, await enrollNative(h, key, await mint({ iss: `${h.idp.issuer}/evil` })), 401, 'id_token_wrong_issuer');
  });

  it("refuses alg 'none'", async () => {
    const token = h.idp.mintUnsecured(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce));
    await expectRefused(h, await enrollNative(h, key, token), 401, 'id_token_algorithm_not_allowed');
  });

  it('refuses an HMAC token keyed with the IdP public key', async () => {
    const token = await h.idp.mintHmacWithPublicKey(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce));
    await expectRefused(h, await enrollNative(h, key, token), 401, 'id_token_algorithm_not_allowed');
  });

  it('refuses a bad signature made with a known kid', async () => {
    const token = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce), { foreignKey: true });
    await expectRefused(h, await enrollNative(h, key, token), 401, 'id_token_signature_invalid');
  });

  it('refetches the JWKS once for an unknown kid, then refuses; a second unknown kid does not refetch', async () => {
    // Past the refetch cooldown of the fetches made by the tests above.
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + JWKS_REFETCH_COOLDOWN_MS + 1000);
    try {
      const before = h.idp.requests.get('/jwks') ?? 0;
      const token = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce), { kid: 'rotated-1', foreignKey: true });
      await expectRefused(h, await enrollNative(h, key, token), 401, 'id_token_unknown_key');
      const after = h.idp.requests.get('/jwks') ?? 0;
      expect(after).toBe(before + 1);
      const again = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce), { kid: 'rotated-2', foreignKey: true });
      await expectRefused(h, await enrollNative(h, key, again), 401, 'id_token_unknown_key');
      expect(h.idp.requests.get('/jwks') ?? 0).toBe(after);
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses an inactive account', async () => {
    await expectRefused(h, await enrollNative(h, key, await mint({}, 'carol')), 403, 'account_inactive');
  });

  it('refuses an account bound to another IdP subject, even when the user name matches', async () => {
    // Dave's account was bound at an earlier sign-in to another IdP user (say, a re-created one).
    const accountId = await insertScimAccount(h, { userName: 'dave@acme.example', idpSubject: '00uformerdave0000' });
    h.idp.users.set('dave', { email: 'dave@acme.example', amr: ['pwd', 'mfa'] });
    const token = await mint({}, 'dave');
    await expectRefused(h, await enrollNative(h, key, token), 403, 'account_subject_mismatch');
    const [account] = await h.t.dataSource.query(`SELECT count(*)::int AS devices FROM device WHERE account_id = $1`, [accountId]);
    expect(account).toEqual({ devices: 0 });
    expect(await subjectsOf(h, accountId)).toEqual({ [h.connectionId]: '00uformerdave0000' });
    // The control: the subject the account is bound to enrolls.
    const key2 = await newDeviceKey();
    const bound = await h.idp.mintIdToken(h.idp.idTokenClaims('dave', APP_CLIENT, key2.nonce, { sub: '00uformerdave0000' }));
    expect((await enrollNative(h, key2, bound)).status).toBe(201);
  });

  it('refuses a sign-in without MFA when the connection requires it', async () => {
    await h.t.dataSource.query(`UPDATE idp_connection SET require_mfa = true WHERE id = $1`, [h.connectionId]);
    try {
      const token = await nativeSignIn(h.idp, 'pwdonly', key.nonce);
      await expectRefused(h, await enrollNative(h, key, token), 403, 'mfa_required');
      const key2 = await newDeviceKey();
      expect((await enrollNative(h, key2, await nativeSignIn(h.idp, 'alice', key2.nonce))).status).toBe(201);
    } finally {
      await h.t.dataSource.query(`UPDATE idp_connection SET require_mfa = false WHERE id = $1`, [h.connectionId]);
    }
  });

  it('refuses a device over the limit, or revokes the oldest one, as the org chooses', async () => {
    await setEnrollmentPolicy(h, { maxActiveDevicesPerAccount: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const k = await newDeviceKey();
      const res = await enrollNative(h, k, await h.idp.mintIdToken(h.idp.idTokenClaims('many', APP_CLIENT, k.nonce)));
      expect(res.status).toBe(201);
      ids.push(res.body.deviceId);
    }
    await expectRefused(h, await enrollNative(h, key, await mint({}, 'many')), 403, 'device_limit_reached');

    await setEnrollmentPolicy(h, { maxActiveDevicesPerAccount: 2, onLimit: 'revoke-oldest' });
    const res = await enrollNative(h, key, await mint({}, 'many'));
    expect(res.status).toBe(201);
    const devices = await h.t.dataSource.query(`SELECT id, status, revocation_reason FROM device WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [
      [...ids, res.body.deviceId],
    ]);
    expect(devices.map((d: { status: string; revocation_reason: string | null }) => [d.status, d.revocation_reason])).toEqual([
      ['revoked', 'superseded'],
      ['active', null],
      ['active', null],
    ]);
    await h.t.dataSource.query(`UPDATE org SET settings = '{}' WHERE id = $1`, [h.org.id]);
  });

  it('refuses cipher suites and platforms the org does not allow, and an invalid CSR', async () => {
    await setEnrollmentPolicy(h, { allowedCiphersuites: [2], allowedPlatforms: ['android'] });
    await expectRefused(h, await enrollNative(h, key, await mint()), 403, 'ciphersuite_not_allowed');
    await setEnrollmentPolicy(h, { allowedPlatforms: ['android'] });
    await expectRefused(h, await enrollNative(h, key, await mint()), 403, 'platform_not_allowed');
    await h.t.dataSource.query(`UPDATE org SET settings = '{}' WHERE id = $1`, [h.org.id]);
    // An Ed25519 key under the P-256 cipher suite:
    await expectRefused(h, await enrollNative(h, key, await mint(), { ciphersuite: 2 }), 400, 'csr_invalid');
  });

  it('answers malformed requests with a 400, never a 500', async () => {
    const res = await enrollNative(h, key, 'not-a-jwt');
    expect([res.status, res.body.reason]).toEqual([401, 'id_token_malformed']);
    const noFlow = await enrollNative(h, key, undefined as never);
    expect([noFlow.status, noFlow.body.reason]).toEqual([400, 'request_invalid']);
    const garbage = await enrollNative(h, { ...key, csrPem: 'A'.repeat(64) }, await mint());
    expect([garbage.status, garbage.body.reason]).toEqual([400, 'csr_invalid']);
  });
});

describe('enrollment refusals (entra-like IdP)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('entra', { users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
  });
  afterAll(() => h.close());

  it('refuses a tenant that is not on the allow-list', async () => {
    await h.t.dataSource.query(`UPDATE idp_connection SET allowed_tenants = $2 WHERE id = $1`, [
      h.connectionId,
      ['7d5a4e0e-0000-4000-8000-000000000001'],
    ]);
    const key = await newDeviceKey();
    await expectRefused(h, await enrollNative(h, key, await nativeSignIn(h.idp, 'alice', key.nonce)), 403, 'tenant_not_allowed');
    await h.t.dataSource.query(`UPDATE idp_connection SET allowed_tenants = $2 WHERE id = $1`, [h.connectionId, [h.idp.tenantId]]);
    const key2 = await newDeviceKey();
    expect((await enrollNative(h, key2, await nativeSignIn(h.idp, 'alice', key2.nonce))).status).toBe(201);
  });

  it('refuses an Entra token without tid/oid', async () => {
    const key = await newDeviceKey();
    const claims = h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce);
    delete claims.oid;
    await expectRefused(h, await enrollNative(h, key, await h.idp.mintIdToken(claims)), 401, 'id_token_claim_missing');
  });
});

describe('refusals raised by the CA during enrollment', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { orgSlug: 'noemail' });
    await setEnrollmentPolicy(h, { allowJitAccounts: true });
  });
  afterAll(() => h.close());

  it('are 4xx problems with a reason, audited, and leave no account or device behind', async () => {
    const key = await newDeviceKey();
    const now = Math.floor(Date.now() / 1000);
    // A person the IdP knows only by an opaque subject: nothing to put in the certificate.
    const token = await h.idp.mintIdToken({ iss: h.idp.issuer, aud: APP_CLIENT, sub: '00uopaque', nonce: key.nonce, iat: now, exp: now + 300 });
    const res = await enrollNative(h, key, token);
    expect([res.status, res.body.reason]).toEqual([422, 'account_has_no_email']);
    expect(await lastRefusal(h)).toMatchObject({ reason: 'account_has_no_email', flow: 'native' });
    const [counts] = await h.t.dataSource.query(`SELECT (SELECT count(*) FROM account)::int AS a, (SELECT count(*) FROM device)::int AS d`);
    expect(counts).toEqual({ a: 0, d: 0 });
  });
});

describe('refusals about the IdP connection', () => {
  let h: Harness;
  let unreachableIssuer: string;
  const startRedirect = (key: DeviceKey, extra: Record<string, unknown> = {}) =>
    call(h.t.url, 'POST', `/v1/orgs/${h.org.slug}/enrollments`, {
      body: { csr: key.csrPem, deviceName: 'laptop', platform: 'linux', ciphersuite: 1, flow: 'redirect', ...extra },
    });
  const mint = (key: DeviceKey) => h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce));

  beforeAll(async () => {
    h = await startHarness('okta', { orgSlug: 'two-idps', users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
    // A loopback port nothing listens on: connections to it are refused at once.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    unreachableIssuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.t.app.get(OrgsService).addIdpConnection('test', h.org, {
      name: 'unreachable',
      kind: 'okta',
      issuer: unreachableIssuer,
      clientId: SERVICE_CLIENT.clientId,
      clientSecret: SERVICE_CLIENT.clientSecret,
      nativeClientIds: [APP_CLIENT],
    });
  });
  afterAll(() => h.close());

  it('asks which connection when the org has several and neither the request nor the token tells them apart', async () => {
    // A flow that starts before any token exists must name the connection.
    await expectRefused(h, await startRedirect(await newDeviceKey()), 400, 'idp_connection_ambiguous');
    expect((await startRedirect(await newDeviceKey(), { idpConnection: 'okta' })).status).toBe(201);
    // A token's issuer picks the one connection it names...
    const key = await newDeviceKey();
    expect((await enrollNative(h, key, await mint(key))).status).toBe(201);
    // ...but not when two connections share that issuer.
    await h.t.app.get(OrgsService).addIdpConnection('test', h.org, {
      name: 'okta-twin',
      kind: 'okta',
      issuer: h.idp.issuer,
      clientId: SERVICE_CLIENT.clientId,
      nativeClientIds: [APP_CLIENT],
    });
    const key2 = await newDeviceKey();
    await expectRefused(h, await enrollNative(h, key2, await mint(key2)), 400, 'idp_connection_ambiguous');
    expect((await enrollNative(h, key2, await mint(key2), { idpConnection: 'okta' })).status).toBe(201);
  });

  it('answers 502 idp_unavailable when the IdP cannot be reached', async () => {
    const res = await startRedirect(await newDeviceKey(), { idpConnection: 'unreachable' });
    expect([res.status, res.body.reason]).toEqual([502, 'idp_unavailable']);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const sessions = `SELECT 1 FROM enrollment_session s JOIN idp_connection c ON c.id = s.idp_connection_id WHERE c.name = 'unreachable'`;
    expect(await h.t.dataSource.query(sessions)).toEqual([]);
    // A native token naming that IdP as issuer: its keys cannot be fetched either.
    const key = await newDeviceKey();
    const token = await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce, { iss: unreachableIssuer }));
    const native = await enrollNative(h, key, token);
    expect([native.status, native.body.reason]).toEqual([502, 'idp_unavailable']);
  });
});

describe('an org without an active signing CA', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('okta', { orgSlug: 'no-ca', users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] } } });
    await insertScimAccount(h, { userName: 'alice@acme.example' });
  });
  afterAll(() => h.close());

  it('refuses enrollment with no_active_ca and leaves no device behind', async () => {
    // Only a damaged database gets here: the org's intermediate is not active (and nothing was issued yet, so no issuer is cached).
    await h.t.dataSource.query(`UPDATE ca SET status = 'retired' WHERE org_id = $1 AND kind = 'intermediate'`, [h.org.id]);
    const key = await newDeviceKey();
    const res = await enrollNative(h, key, await h.idp.mintIdToken(h.idp.idTokenClaims('alice', APP_CLIENT, key.nonce)));
    await expectRefused(h, res, 404, 'no_active_ca');
    expect(await h.t.dataSource.query(`SELECT id FROM device`)).toEqual([]);
  });
});
