import { createHash, randomBytes } from 'node:crypto';
import { keyBoundNonce, reauthenticationNonce } from '#protocol';
import { identityOf, sameClient } from '#x509-profile';
import { csrPem, deviceAuthorization, deviceKeys, type DeviceKeys } from '../support/device-client.js';
import { call } from '../support/test-app.js';
import type { JWTPayload } from 'jose';
import { APP_CLIENT, enrollNative, insertScimAccount, nativeSignIn, startHarness, type Harness } from './enrollment-harness.js';

/** An enrolled device as the app holds it: its key pair and its chain. */
interface Enrolled {
  deviceId: string;
  accountId: string;
  keys: DeviceKeys;
  chainDer: Uint8Array[];
}

const der = (chain: string[]) => chain.map((c) => new Uint8Array(Buffer.from(c, 'base64')));

describe.each(['okta', 'entra'] as const)('re-authentication of an enrolled device keeps its identity (%s-like IdP)', (profile) => {
  let h: Harness;
  let aliceAccount: string;

  beforeAll(async () => {
    h = await startHarness(profile, {
      users: {
        alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] },
        bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] },
        carol: { email: 'carol@acme.example', amr: ['pwd', 'mfa'] },
      },
    });
    aliceAccount = await insertScimAccount(h, { userName: 'alice@acme.example' });
    await insertScimAccount(h, { userName: 'bob@acme.example' });
    await insertScimAccount(h, { userName: 'carol@acme.example' });
  });
  afterAll(() => h.close());

  async function enroll(login: string): Promise<Enrolled> {
    const keys = await deviceKeys(1);
    const idToken = await nativeSignIn(h.idp, login, keyBoundNonce(keys.spki));
    const res = await enrollNative(h, { csrPem: await csrPem(keys), spki: keys.spki, nonce: keyBoundNonce(keys.spki) }, idToken);
    expect(res.status).toBe(201);
    return { deviceId: res.body.deviceId, accountId: res.body.accountId, keys, chainDer: der(res.body.chainDer) };
  }

  /** What the SDK does: a jti first, the IdP sign-in bound to key and jti, then the signed request. */
  async function reauthenticate(
    d: Enrolled,
    options: {
      login?: string;
      nonce?: string;
      signWith?: DeviceKeys;
      chainDer?: Uint8Array[];
      deviceId?: string;
      replay?: { body: string; authorization: string };
      /** A token minted with these claims (e.g. an old auth_time) instead of a sign-in. */
      claims?: JWTPayload;
    } = {},
  ) {
    const path = `/v1/orgs/${h.org.slug}/devices/${options.deviceId ?? d.deviceId}/reauthenticate`;
    if (options.replay) {
      return { ...(await send(path, options.replay.body, options.replay.authorization)), sent: options.replay };
    }
    const jti = randomBytes(16).toString('hex');
    const nonce = options.nonce ?? reauthenticationNonce(d.keys.spki, jti);
    const login = options.login ?? 'alice';
    const idToken = options.claims
      ? await h.idp.mintIdToken(h.idp.idTokenClaims(login, APP_CLIENT, nonce, options.claims))
      : await nativeSignIn(h.idp, login, nonce);
    const body = JSON.stringify({ idToken });
    const authorization = await deviceAuthorization(options.signWith ?? d.keys, options.chainDer ?? d.chainDer, { method: 'POST', path, body, jti });
    return { ...(await send(path, body, authorization)), sent: { body, authorization } };
  }

  const send = (path: string, raw: string, authorization?: string) =>
    call(h.t.url, 'POST', path, { raw, headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' } });

  async function renew(d: Enrolled, chainDer = d.chainDer) {
    const path = `/v1/devices/${d.deviceId}/certificate/renew`;
    const body = JSON.stringify({ csr: await csrPem(d.keys) });
    return send(path, body, await deviceAuthorization(d.keys, chainDer, { method: 'POST', path, body }));
  }

  const certificates = async (deviceId: string) =>
    (await h.t.dataSource.query(`SELECT id, status, sha256 FROM certificate WHERE device_id = $1 ORDER BY created_at`, [deviceId])) as {
      id: string;
      status: string;
      sha256: Buffer;
    }[];

  it('past reauthenticateAfterDays (90 by default): renewal is refused, re-authentication gives a new certificate for the same device and identity', async () => {
    const d = await enroll('alice');
    await h.t.dataSource.query(`UPDATE device SET authenticated_at = now() - interval '91 days' WHERE id = $1`, [d.deviceId]);
    const refused = await renew(d);
    expect([refused.status, refused.body.reason]).toEqual([403, 'reauthentication_required']);

    const res = await reauthenticate(d);
    expect(res.status).toBe(200);
    expect(res.body.deviceId).toBe(d.deviceId);
    // Same identity: the certificate names the same account and device (the identity URI is built from them).
    const [before, after] = await certificates(d.deviceId);
    expect([before!.status, after!.status]).toEqual(['superseded', 'active']);
    expect(after!.sha256.toString('hex')).toBe(res.body.certificate.sha256);
    const [device] = await h.t.dataSource.query(`SELECT status, signature_key_sha256, authenticated_at, account_id FROM device WHERE id = $1`, [
      d.deviceId,
    ]);
    expect(device).toMatchObject({ status: 'active', account_id: aliceAccount });
    expect(Buffer.from(device.signature_key_sha256)).toEqual(createHash('sha256').update(d.keys.spki).digest());
    expect(Date.now() - new Date(device.authenticated_at).getTime()).toBeLessThan(60_000);
    // Same client (RFC 9750): the new certificate names the same identity URI (org, account, device).
    expect(sameClient(der(res.body.chainDer), d.chainDer)).toBe(true);
    expect(identityOf(der(res.body.chainDer))).toMatchObject({ kind: 'device', org: h.org.slug, accountId: aliceAccount, deviceId: d.deviceId });
    // The transparency log says renewed, for the same device; the audit log says re-authenticated.
    const kt = await h.t.dataSource.query(`SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'deviceId' = $1 ORDER BY id`, [
      d.deviceId,
    ]);
    expect(kt.map((e: { payload: { type: string } }) => e.payload.type).sort()).toEqual([
      'certificate_issued',
      'certificate_renewed',
      'device_enrolled',
    ]);
    const audit = await h.t.dataSource.query(`SELECT action FROM audit_event WHERE target = $1 ORDER BY id`, [`device:${d.deviceId}`]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['device.enroll', 'device.reauthenticate']);
    // And renewal works again with the new chain.
    expect((await renew(d, der(res.body.chainDer))).status).toBe(200);
  });

  it('brings back a device whose certificate lapsed while it was offline (within the grace), signed with the expired certificate', async () => {
    const d = await enroll('alice');
    await h.t.dataSource.query(
      `UPDATE certificate SET not_before = now() - interval '12 days', not_after = now() - interval '5 days' WHERE device_id = $1`,
      [d.deviceId],
    );
    const refused = await renew(d);
    expect([refused.status, refused.body.reason]).toEqual([401, 'certificate_expired']);
    const res = await reauthenticate(d);
    expect(res.status).toBe(200);
    expect(res.body.deviceId).toBe(d.deviceId);
    expect((await certificates(d.deviceId)).map((c) => c.status)).toEqual(['superseded', 'active']);
  });

  it('refuses a wrong key proof, a token not bound to the request, another person, a replay — and writes nothing', async () => {
    const d = await enroll('alice');
    const other = await enroll('alice');
    const before = await certificates(d.deviceId);
    const path = `/v1/orgs/${h.org.slug}/devices/${d.deviceId}/reauthenticate`;

    const unsigned = await send(path, JSON.stringify({ idToken: 'x' }));
    expect([unsigned.status, unsigned.body.reason]).toEqual([401, 'device_key_proof_invalid']);
    // d's chain, but signed with another key
    const forged = await reauthenticate(d, { signWith: other.keys });
    expect([forged.status, forged.body.reason]).toEqual([401, 'device_key_proof_invalid']);
    // another device's chain and key, for d
    const foreign = await reauthenticate(other, { deviceId: d.deviceId });
    expect([foreign.status, foreign.body.reason]).toEqual([401, 'device_key_proof_invalid']);
    // an ID token bound to the key only (the enrollment nonce), not to this request
    const unbound = await reauthenticate(d, { nonce: keyBoundNonce(d.keys.spki) });
    expect([unbound.status, unbound.body.reason]).toEqual([401, 'id_token_nonce_mismatch']);
    // Bob signs in for Alice's device
    const bob = await reauthenticate(d, { login: 'bob' });
    expect([bob.status, bob.body.reason]).toEqual([403, 'not_device_owner']);
    // bad body
    const junk = await send(path, JSON.stringify({ idToken: 42 }), 'MLS-Device x');
    expect(junk.status).toBe(400);
    expect(await certificates(d.deviceId)).toEqual(before);

    // A good one, then the same request again.
    const good = await reauthenticate(d);
    expect(good.status).toBe(200);
    const replay = await reauthenticate(d, { replay: good.sent });
    expect([replay.status, replay.body.reason]).toEqual([401, 'id_token_replayed']);
    expect(await certificates(d.deviceId)).toHaveLength(2);
    const refusals = await h.t.dataSource.query(
      `SELECT details->>'reason' AS reason FROM audit_event WHERE action = 'enrollment.refuse' AND details->>'flow' = 'reauthenticate' ORDER BY id`,
    );
    expect(refusals.map((r: { reason: string }) => r.reason)).toEqual(
      expect.arrayContaining(['device_key_proof_invalid', 'id_token_nonce_mismatch', 'not_device_owner', 'id_token_replayed']),
    );
  });

  it("holds the sign-in to the org's freshness: a stale auth_time is refused, and with MFA required auth_time must be there", async () => {
    const d = await enroll('alice');
    const before = await certificates(d.deviceId);
    const now = Math.floor(Date.now() / 1000);
    // The org's default maxSignInAgeS is 600 s: an SSO session of an hour ago does not vouch for the person now.
    const stale = await reauthenticate(d, { claims: { auth_time: now - 3600 } });
    expect([stale.status, stale.body.reason]).toEqual([403, 'sign_in_too_old']);
    expect(await certificates(d.deviceId)).toEqual(before);
    const [refusal] = await h.t.dataSource.query(
      `SELECT details FROM audit_event WHERE action = 'enrollment.refuse' AND details->>'flow' = 'reauthenticate' ORDER BY id DESC LIMIT 1`,
    );
    expect(refusal.details).toMatchObject({ reason: 'sign_in_too_old' });

    await h.t.dataSource.query(`UPDATE idp_connection SET require_mfa = true WHERE id = $1`, [h.connectionId]);
    try {
      const silent = await reauthenticate(d, { claims: { auth_time: undefined } });
      expect([silent.status, silent.body.reason]).toEqual([401, 'id_token_claim_missing']);
      expect(await certificates(d.deviceId)).toEqual(before);
      // The control: a sign-in within the limit re-authenticates.
      const fresh = await reauthenticate(d, { claims: { auth_time: now - 30 } });
      expect(fresh.status).toBe(200);
    } finally {
      await h.t.dataSource.query(`UPDATE idp_connection SET require_mfa = false WHERE id = $1`, [h.connectionId]);
    }
  });

  it('refuses a deprovisioned account, an expired device and a revoked one', async () => {
    const carol = await enroll('carol');
    await h.t.dataSource.query(`UPDATE account SET active = false WHERE id = $1`, [carol.accountId]);
    const inactive = await reauthenticate(carol, { login: 'carol' });
    expect([inactive.status, inactive.body.reason]).toEqual([403, 'account_inactive']);
    await h.t.dataSource.query(`UPDATE account SET active = true WHERE id = $1`, [carol.accountId]);

    const expired = await enroll('alice');
    await h.t.dataSource.query(`UPDATE device SET status = 'expired', expired_at = now() WHERE id = $1`, [expired.deviceId]);
    const gone = await reauthenticate(expired);
    expect([gone.status, gone.body.reason]).toEqual([409, 'device_expired']);

    const revoked = await enroll('alice');
    await call(h.t.url, 'POST', `/v1/admin/orgs/${h.org.slug}/devices/${revoked.deviceId}/revoke`, { token: h.t.adminToken, body: {} });
    const refused = await reauthenticate(revoked);
    // revoked for keyCompromise (the admin default): its certificates prove nothing any more
    expect([refused.status, refused.body.reason]).toEqual([401, 'device_key_proof_invalid']);
    const revokedOtherwise = await enroll('alice');
    await call(h.t.url, 'POST', `/v1/admin/orgs/${h.org.slug}/devices/${revokedOtherwise.deviceId}/revoke`, {
      token: h.t.adminToken,
      body: { reason: 'cessationOfOperation' },
    });
    const refused2 = await reauthenticate(revokedOtherwise);
    expect([refused2.status, refused2.body.reason]).toEqual([409, 'device_revoked']);
    expect((await certificates(expired.deviceId)).map((c) => c.status)).toEqual(['active']);
  });
});
