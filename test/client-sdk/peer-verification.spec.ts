import { MemoryStorage, type EnrolledDevice, type IdentityClient, type PeerVerification, type RenewalEvent } from '#client-sdk';
import { call } from '../support/test-app.js';
import { startHarness, type Harness } from '../enrollment/enrollment-harness.js';
import { until } from '../support/until.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { enrollWithToken, provision, sdkClient, tamperingFetch, USERS } from './sdk-harness.js';

describe('SDK as an enrolled device: peer verification, renewal, account watch', () => {
  let h: Harness;
  let accounts: Record<keyof typeof USERS, string>;
  let client: IdentityClient;
  let alice: EnrolledDevice;
  let bob: EnrolledDevice;

  beforeAll(async () => {
    h = await startHarness('okta', { users: USERS });
    accounts = await provision(h);
    client = sdkClient(h);
    alice = await enrollWithToken(h, client, 'alice');
    bob = await enrollWithToken(h, client, 'bob');
  });
  afterAll(() => h.close());

  /** Until the issuance entry is sequenced (about a second at most), the log says not_in_log. */
  const verifiedSoon = (session: ReturnType<IdentityClient['session']>, credential: Uint8Array) =>
    until(
      async () => {
        const v = await session.verifyPeer(credential);
        return v.reason === 'not_in_log' ? undefined : v;
      },
      10000,
      'the issuance entry in the log',
    );

  it('verifies a peer: chain to the org root, status valid, issuance proven in the log', async () => {
    const session = client.session(alice);
    const v = await verifiedSoon(session, bob.certificate.credential);
    expect(v).toMatchObject({
      state: 'verified',
      reason: 'in_log',
      certificateSha256: bob.certificate.sha256,
      identity: { accountId: accounts.bob, deviceId: bob.deviceId },
    });
    expect(v.logIndex).toEqual(expect.any(Number));
    expect(v.findings.map((f) => f.reason)).toEqual(['chain_valid', 'status_valid', 'in_log']);
    // the same state later keeps its "since"
    const again = await session.verifyPeer(bob.certificate.chainDer);
    expect(again.state).toBe('verified');
    expect(again.since).toEqual(v.since);
    expect(again.checkedAt.getTime()).toBeGreaterThanOrEqual(v.checkedAt.getTime());
  });

  it('unknown for a device of another org; unknown for garbage; expired past notAfter', async () => {
    const session = client.session(alice);
    const other = await h.t.app.get(OrgsService).create('test', 'globex', 'Globex');
    const stranger = await enrolledDevice(h.t.app, other.id, await insertAccount(h.t.dataSource, other.id, 'eve@globex.example'));
    expect(await session.verifyPeer(stranger.chain.chainDer)).toMatchObject({ state: 'unknown', reason: 'untrusted_issuer' });
    expect(await session.verifyPeer(new Uint8Array([0, 2, 1]))).toMatchObject({ state: 'unknown', reason: 'malformed_credential' });
    const later = sdkClient(h, { clock: { now: () => bob.certificate.notAfter.getTime() + 1000, setTimer: () => () => undefined } });
    expect(await later.session(alice).verifyPeer(bob.certificate.credential)).toMatchObject({ state: 'expired', reason: 'expired' });
  });

  it('renews with key rotation; the watcher sees the new key; the peer stays verified with the new credential', async () => {
    const carol = await enrollWithToken(h, client, 'carol');
    // Enrollment answers before its log entry is sequenced (a receipt resolves within a second).
    await until(async () =>
      (await h.t.dataSource.query(`SELECT 1 FROM kt_entry WHERE account_id = $1 LIMIT 1`, [accounts.carol])).length > 0 ? true : undefined,
    );
    const watcher = client.session(alice);
    const first = await until(async () => {
      const c = await watcher.checkAccount(accounts.carol);
      return c.events.some((e) => e.type === 'device-added') ? c : undefined;
    });
    expect(first.firstLook).toBe(true);
    expect(first.events.find((e) => e.type === 'device-added')).toMatchObject({ deviceId: carol.deviceId });

    const oldKey = Buffer.from(carol.keys.signaturePublicKey);
    const renewed = await client.session(carol).renew({ rotateKey: true });
    expect(renewed.keyRotated).toBe(true);
    expect(Buffer.from(carol.keys.signaturePublicKey)).not.toEqual(oldKey);
    const changes = await until(async () => {
      const c = await watcher.checkAccount(accounts.carol);
      return c.events.length > 0 ? c : undefined;
    });
    expect(changes.firstLook).toBe(false);
    expect(changes.events).toEqual([expect.objectContaining({ type: 'key-changed', deviceId: carol.deviceId })]);
    expect((await verifiedSoon(watcher, carol.certificate.credential)).state).toBe('verified');
    // and the renewed device's own signed requests use its new chain
    expect((await client.session(carol).verifyPeer(alice.certificate.credential)).state).toBe('verified');
  });

  it('revoked peers read revoked (status and log); their renewal is refused with a clear event; the watcher reports it', async () => {
    const dave = await enrollWithToken(h, client, 'bob');
    const session = client.session(alice);
    const before = await verifiedSoon(session, dave.certificate.credential);
    expect(before.state).toBe('verified');
    const revoked = await call(h.t.url, 'POST', `/v1/admin/orgs/acme/devices/${dave.deviceId}/revoke`, {
      token: h.t.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(revoked.status).toBeLessThan(300);
    const after = await until(async () => {
      const v = await session.verifyPeer(dave.certificate.credential);
      return v.findings.at(-1)?.state === 'revoked' ? v : undefined;
    });
    expect(after).toMatchObject({ state: 'revoked', reason: 'keyCompromise' });
    expect(after.findings.map((f) => f.state)).toEqual(['verified', 'revoked', 'revoked']);
    expect(after.since.getTime()).toBeGreaterThan(before.since.getTime());

    const events: RenewalEvent[] = [];
    const renewal = client.session(dave).startAutoRenewal({ marginMs: 365 * 86_400_000, onEvent: (e) => events.push(e) });
    await until(async () => events.find((e) => e.type === 'refused'));
    expect(events.find((e) => e.type === 'refused')).toMatchObject({ refusal: 'revoked', serviceReason: 'certificate_revoked' });
    expect(renewal.running).toBe(false);

    const changes = await client.session(alice).checkAccount(accounts.bob);
    expect(changes.events.filter((e) => e.type === 'device-revoked')).toEqual([
      expect.objectContaining({ deviceId: dave.deviceId, reason: 'keyCompromise' }),
    ]);
  });

  it('log-inconsistent when the log serves a checkpoint that does not extend what the device saw', async () => {
    const storage = new MemoryStorage();
    let lie = false;
    const lying = sdkClient(h, {
      storage,
      fetch: tamperingFetch(async (path, res) => {
        if (!lie || !path.includes('/proof/consistency')) return res;
        const body = (await res.json()) as { proof: string[] };
        body.proof = body.proof.map((p: string) => Buffer.from(Buffer.from(p, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64'));
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      }),
    });
    const session = lying.session(alice);
    expect((await session.verifyPeer(bob.certificate.credential)).state).toBe('verified');
    const seen = (await session.log.lastAccepted())!.checkpoint.size;
    await enrollWithToken(h, client, 'carol');
    await until(async () => ((await session.log.refresh()).checkpoint.size > seen ? true : undefined));
    // the device has now accepted a larger tree honestly; grow it again and lie about the proof
    const size = (await session.log.lastAccepted())!.checkpoint.size;
    await enrollWithToken(h, client, 'carol');
    lie = true;
    const v: PeerVerification = await until(async () => {
      const r = await session.verifyPeer(bob.certificate.credential);
      return r.state === 'log-inconsistent' ? r : undefined;
    });
    expect(v.reason).toBe('checkpoint_inconsistent');
    // the stored view did not move to the unproven checkpoint
    expect((await session.log.lastAccepted())!.checkpoint.size).toBe(size);
  });
});
