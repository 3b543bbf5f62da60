import { createHash, webcrypto } from 'node:crypto';
import {
  createCommit,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type ClientState,
  type Extension,
} from 'ts-mls';
import { x509CredentialFromChain } from '#mls';
import { DeviceLifecycleService } from '../../apps/identity-service/src/devices/device-lifecycle.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import type { Org } from '../../apps/identity-service/src/orgs/org.entity.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { APP_CLIENT, enrollNative, newDeviceKey, nativeSignIn, PUBLIC_URL, SERVICE_CLIENT, type Harness } from '../enrollment/enrollment-harness.js';
import { csrPem, deviceAuthorization, deviceKeys, type DeviceKeys } from '../support/device-client.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { startTestIdp, type TestIdp } from '../support/test-idp.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, mlsClient, type MlsClient, mlsClientEnrolledWithOidc, publishedExternalSenders, suite } from './mls-clients.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('device lifecycle: no device escapes removal (real PostgreSQL, ts-mls clients)', () => {
  let t: TestApp;
  let replica: TestApp | undefined;
  let idp: TestIdp;
  let org: Org;
  let orgId: string;
  let ds: FakeDeliveryService;
  let externalSenders: Extension;
  let alice: MlsClient;
  let lifecycle: DeviceLifecycleService;

  beforeAll(async () => {
    idp = await startTestIdp({
      profile: 'entra',
      clients: [
        { clientId: SERVICE_CLIENT.clientId, clientSecret: SERVICE_CLIENT.clientSecret, redirectUris: [`${PUBLIC_URL}/v1/enrollments/callback`] },
        { clientId: APP_CLIENT, redirectUris: ['http://127.0.0.1/app-callback'] },
      ],
      users: { alice: { email: 'alice@acme.example', amr: ['pwd', 'mfa'] }, bob: { email: 'bob@acme.example', amr: ['pwd', 'mfa'] } },
    });
    t = await createTestApp({ env: { PUBLIC_URL } });
    org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    orgId = org.id;
    await t.app.get(OrgsService).addIdpConnection('test', org, {
      name: 'entra',
      kind: 'entra',
      issuer: idp.issuer,
      clientId: SERVICE_CLIENT.clientId,
      clientSecret: SERVICE_CLIENT.clientSecret,
      nativeClientIds: [APP_CLIENT],
      // accounts are provisioned by name here: binding by verified email is the connection's opt-in
      matchByVerifiedEmail: true,
    });
    for (const name of ['alice', 'bob']) await insertAccount(t.dataSource, orgId, `${name}@acme.example`);
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    alice = await mlsClientEnrolledWithOidc({ t, idp, org }, 'alice', 'alice');
    externalSenders = await publishedExternalSenders(t.url, 'acme');
    lifecycle = t.app.get(DeviceLifecycleService);
  });

  afterAll(async () => {
    await replica?.close();
    await t.close();
    await idp.close();
  });

  /** Alice creates a group listing the service with `others` in it, reported at epoch 1. */
  async function aliceGroup(name: string, others: MlsClient[]): Promise<ClientState> {
    const { state, epoch0, epoch1 } = await ds.reportedGroup(name, alice, others, externalSenders);
    expect([epoch0.status, epoch1.status]).toEqual([200, 200]);
    return state;
  }

  /** The removals of the org's feed for `deviceId` (waits for the outbox). */
  async function removalsOf(deviceId: string, count = 1): Promise<{ leafIndex: number; reason: string; groupId: string }[]> {
    return until(
      async () => {
        const page = await ds.feed('0');
        const mine = page.body.removals.filter((r: { deviceId: string }) => r.deviceId === deviceId);
        return mine.length >= count && mine;
      },
      10_000,
      `removals of ${deviceId}`,
    );
  }

  /** The device's certificate ended `daysAgo` days ago (it stayed offline): what the sweep reads. */
  async function lapse(deviceId: string, daysAgo: number): Promise<Date> {
    await t.dataSource.query(
      `UPDATE certificate SET not_before = now() - ($2 + 7) * interval '1 day', not_after = now() - $2 * interval '1 day' WHERE device_id = $1`,
      [deviceId, daysAgo],
    );
    const [[row]] = await t.dataSource.query(
      `UPDATE device SET credential_not_after = now() - $2 * interval '1 day' WHERE id = $1 RETURNING credential_not_after`,
      [deviceId, daysAgo],
    );
    return new Date(row.credential_not_after);
  }

  /** A sample of the service's /metrics (0 when absent). */
  const metric = async (series: string) => {
    const text = await (await fetch(`${t.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  const statusOf = async (deviceId: string) => (await t.dataSource.query(`SELECT status FROM device WHERE id = $1`, [deviceId]))[0].status;

  async function enrollBob(name: string) {
    const key = await newDeviceKey();
    const idToken = await nativeSignIn(idp, 'bob', key.nonce);
    return enrollNative({ t, org } as Harness, key, idToken, { deviceName: name });
  }

  it('expires a device whose certificate lapsed beyond the grace: removal planned, KT entry, no longer counted toward the limit', async () => {
    const limit = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', {
      token: t.adminToken,
      body: { settings: { enrollment: { maxActiveDevicesPerAccount: 2 }, certificates: { expiredDeviceGraceDays: 14 } } },
    });
    expect(limit.status).toBe(200);
    for (const bad of [{ expiredDeviceGraceDays: -1 }, { expiredDeviceGraceDays: 366 }, { supersededGraceDays: 31 }, { supersededGraceDays: '2' }]) {
      const refused = await call(t.url, 'PATCH', '/v1/admin/orgs/acme/settings', { token: t.adminToken, body: { settings: { certificates: bad } } });
      expect([JSON.stringify(bad), refused.status, refused.body.reason]).toEqual([JSON.stringify(bad), 400, 'invalid_settings']);
    }
    const bobOld = await mlsClientEnrolledWithOidc({ t, idp, org }, 'bob', 'bob-old');
    await mlsClientEnrolledWithOidc({ t, idp, org }, 'bob', 'bob-phone');
    const refused = await enrollBob('bob-third');
    expect([refused.status, refused.body.reason]).toEqual([403, 'device_limit_reached']);

    await aliceGroup('room-lifecycle', [bobOld]);
    const lapsedAt = await lapse(bobOld.deviceId, 20);

    // Inside the grace nothing happens; just past it the device expires, once.
    expect(await lifecycle.sweep(new Date(lapsedAt.getTime() + 14 * DAY - HOUR))).toMatchObject({ expired: 0 });
    expect(await statusOf(bobOld.deviceId)).toBe('active');
    expect(await lifecycle.sweep(new Date(lapsedAt.getTime() + 14 * DAY + HOUR))).toMatchObject({ expired: 1 });
    expect(await lifecycle.sweep(new Date(lapsedAt.getTime() + 14 * DAY + 2 * HOUR))).toMatchObject({ expired: 0 });
    const [row] = await t.dataSource.query(`SELECT status, expired_at, revoked_at FROM device WHERE id = $1`, [bobOld.deviceId]);
    expect(row.status).toBe('expired');
    expect(row.revoked_at).toBeNull();

    // Its leaf gets a signed Remove through the one removal path, with reason `expired`.
    const [removal] = await removalsOf(bobOld.deviceId);
    expect(removal).toMatchObject({ leafIndex: 1, reason: 'expired' });
    const kt = await t.dataSource.query(`SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'type' = 'device_expired'`);
    expect(kt.map((r: { payload: { deviceId: string; reason: string } }) => [r.payload.deviceId, r.payload.reason])).toEqual([
      [bobOld.deviceId, 'expired'],
    ]);
    const audit = await t.dataSource.query(`SELECT actor FROM audit_event WHERE action = 'device.expire' AND target = $1`, [
      `device:${bobOld.deviceId}`,
    ]);
    expect(audit).toEqual([{ actor: 'system:device-lifecycle' }]);
    const listed = await call(t.url, 'GET', '/v1/admin/orgs/acme/devices', { token: t.adminToken });
    expect(listed.body.devices.find((d: { id: string }) => d.id === bobOld.deviceId)).toMatchObject({
      status: 'expired',
      expiredAt: expect.any(String),
      credentialNotAfter: lapsedAt.toISOString(),
    });

    expect(await metric('devices_expired_total')).toBeGreaterThanOrEqual(1);

    // It no longer counts: Bob enrolls a device in its place.
    const third = await enrollBob('bob-third');
    expect(third.status).toBe(201);
    // An expired device gets nothing more: its renewal is refused.
    const renewal = await renewWith(bobOld.device, bobOld.chainDer, bobOld.deviceId, await csrPem(bobOld.device));
    expect(renewal.status).toBe(401);
  });

  it('expires lapsed devices at enrollment without waiting for the sweep (the limit counts live devices only)', async () => {
    const devices = await t.dataSource.query(
      `SELECT id FROM device WHERE status = 'active' AND account_id = (SELECT id FROM account WHERE user_name = 'bob@acme.example')`,
    );
    expect(devices).toHaveLength(2);
    expect((await enrollBob('bob-fourth')).body.reason).toBe('device_limit_reached');
    await lapse(devices[0].id, 15);
    const fourth = await enrollBob('bob-fourth');
    expect(fourth.status).toBe(201);
    expect(await statusOf(devices[0].id)).toBe('expired');
  });

  it('two replicas sweeping at once expire each lapsed device exactly once', async () => {
    replica = await createTestApp({ db: t.db, env: { PUBLIC_URL } });
    const accountId = await insertAccount(t.dataSource, orgId, 'fleet@acme.example');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await insertDevice(t.dataSource, orgId, accountId)).deviceId);
    await t.dataSource.query(`UPDATE device SET credential_not_after = now() - interval '40 days' WHERE id = ANY($1::uuid[])`, [ids]);
    const now = new Date();
    const [a, b] = await Promise.all([lifecycle.sweep(now), replica.app.get(DeviceLifecycleService).sweep(now)]);
    expect(a.expired + b.expired).toBe(30);
    const kt = await t.dataSource.query(
      `SELECT payload->>'deviceId' AS device, count(*)::int AS n FROM outbox
        WHERE topic = 'kt.append' AND payload->>'type' = 'device_expired' AND payload->>'deviceId' = ANY($1::text[]) GROUP BY 1`,
      [ids],
    );
    expect(kt).toHaveLength(30);
    expect(kt.every((r: { n: number }) => r.n === 1)).toBe(true);
  });

  it('a keyCompromise revocation of the current certificate removes the device from its groups; cACompromise and bad reasons do not', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'carol@acme.example');
    const stolen = await mlsClient(t.app, orgId, accountId, 'carol-stolen');
    const reissued = await mlsClient(t.app, orgId, accountId, 'carol-laptop');
    await aliceGroup('room-compromise', [stolen, reissued]);
    const certificateOf = async (deviceId: string) =>
      (await t.dataSource.query(`SELECT id FROM certificate WHERE device_id = $1 AND status = 'active'`, [deviceId]))[0].id as string;

    const ca = await call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${await certificateOf(reissued.deviceId)}/revoke`, {
      token: t.adminToken,
      body: { reason: 'cACompromise' },
    });
    expect(ca.body).toMatchObject({ revoked: true, deviceRevoked: false });
    expect(await statusOf(reissued.deviceId)).toBe('active');

    const bad = await call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${await certificateOf(stolen.deviceId)}/revoke`, {
      token: t.adminToken,
      body: { reason: 'lostIt' },
    });
    expect(bad.status).toBe(400);
    expect(await statusOf(stolen.deviceId)).toBe('active');

    const compromised = await call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${await certificateOf(stolen.deviceId)}/revoke`, {
      token: t.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(compromised.status).toBe(201);
    expect(compromised.body).toMatchObject({ revoked: true, deviceRevoked: true, devices: [stolen.deviceId] });
    expect(await statusOf(stolen.deviceId)).toBe('revoked');
    const [removal] = await removalsOf(stolen.deviceId);
    expect(removal).toMatchObject({ leafIndex: 1, reason: 'keyCompromise' });
    // The cACompromise one kept its leaf: no removal was ever planned for it.
    const planned = await t.dataSource.query(`SELECT count(*)::int AS n FROM removal WHERE device_id = $1`, [reissued.deviceId]);
    expect(planned).toEqual([{ n: 0 }]);
  });

  async function renewWith(device: DeviceKeys, chainDer: Uint8Array[], deviceId: string, csr: string) {
    const path = `/v1/devices/${deviceId}/certificate/renew`;
    const body = JSON.stringify({ csr });
    const authorization = await deviceAuthorization(device, chainDer, { method: 'POST', path, body });
    return call(t.url, 'POST', path, { raw: body, headers: { authorization, 'content-type': 'application/json' } });
  }

  /** A KeyPackage for the device's new key and chain (after a rotation). */
  async function withNewCredential(client: MlsClient, keys: DeviceKeys, chainDer: Uint8Array[]): Promise<MlsClient> {
    const signKey = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.keys.privateKey));
    const publicKey = new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.keys.publicKey));
    const kp = await generateKeyPackageWithKey(
      x509CredentialFromChain(chainDer),
      defaultCapabilities(),
      defaultLifetime,
      [],
      { signKey, publicKey },
      await suite(),
    );
    return { ...client, device: keys, chainDer, publicPackage: kp.publicPackage, privatePackage: kp.privatePackage };
  }

  const certificateRow = async (id: string) =>
    (await t.dataSource.query(`SELECT status, revocation_reason FROM certificate WHERE id = $1`, [id]))[0] as {
      status: string;
      revocation_reason: number | null;
    };

  it('revokes a superseded certificate (reason superseded) once every leaf of the device shows the new key', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'dave@acme.example');
    const dave = await mlsClient(t.app, orgId, accountId, 'dave');
    const [{ id: oldCertificate }] = await t.dataSource.query(`SELECT id FROM certificate WHERE device_id = $1`, [dave.deviceId]);
    const room = await aliceGroup('room-rotation', [dave]);

    const next = await deviceKeys(1);
    const renewed = await renewWith(dave.device, dave.chainDer, dave.deviceId, await csrPem(next));
    expect([renewed.status, renewed.body.keyRotated]).toEqual([200, true]);
    const rotated = await withNewCredential(
      dave,
      next,
      renewed.body.chainDer.map((c: string) => new Uint8Array(Buffer.from(c, 'base64'))),
    );
    // The group still shows the old key: the old certificate stays valid (superseded).
    expect((await ds.report(room)).status).toBe(200);
    expect(await certificateRow(oldCertificate)).toEqual({ status: 'superseded', revocation_reason: null });

    // Another group shows the new key, this one still the old: nothing changes yet.
    const other = await aliceGroup('room-rotation-2', [rotated]);
    void other;
    expect(await certificateRow(oldCertificate)).toEqual({ status: 'superseded', revocation_reason: null });

    // The first group replaces Dave's old leaf with his new credential: no leaf shows the old key.
    const cs = await suite();
    const swap = await createCommit(
      { state: room, cipherSuite: cs },
      {
        extraProposals: [
          { proposalType: 'remove', remove: { removed: 1 } },
          { proposalType: 'add', add: { keyPackage: rotated.publicPackage } },
        ],
        ratchetTreeExtension: true,
        wireAsPublicMessage: true,
      },
    );
    await ds.authorize(room, encodeMlsMessage(swap.commit));
    expect((await ds.report(swap.newState)).status).toBe(200);
    expect(await certificateRow(oldCertificate)).toEqual({ status: 'revoked', revocation_reason: 4 });
    const status = await call(t.url, 'POST', '/v1/certificates/status', { token: ds.token, body: { fingerprints: [sha256Hex(dave.chainDer[0]!)] } });
    expect(status.body.results[0]).toMatchObject({ status: 'revoked', reason: 'superseded' });
    const kt = await until(async () => {
      const rows = await t.dataSource.query(
        `SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'type' = 'certificate_revoked' AND payload->>'deviceId' = $1`,
        [dave.deviceId],
      );
      return rows.length > 0 && rows;
    });
    expect(kt.map((r: { payload: { reason: string } }) => r.payload.reason)).toEqual(['superseded']);
    expect(await statusOf(dave.deviceId)).toBe('active');
    expect(await metric('certificates_superseded_revoked_total{trigger="leaf"}')).toBeGreaterThanOrEqual(1);
  });

  it('revokes a superseded certificate after the grace period even when no group reports the new key', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'erin@acme.example');
    const erin = await mlsClient(t.app, orgId, accountId, 'erin');
    const [{ id: oldCertificate }] = await t.dataSource.query(`SELECT id FROM certificate WHERE device_id = $1`, [erin.deviceId]);
    const renewed = await renewWith(erin.device, erin.chainDer, erin.deviceId, await csrPem(erin.device));
    expect(renewed.status).toBe(200);
    const now = Date.now();
    await lifecycle.sweep(new Date(now + 2 * DAY - HOUR));
    expect(await certificateRow(oldCertificate)).toEqual({ status: 'superseded', revocation_reason: null });
    await lifecycle.sweep(new Date(now + 2 * DAY + HOUR));
    expect(await certificateRow(oldCertificate)).toEqual({ status: 'revoked', revocation_reason: 4 });
    expect(await statusOf(erin.deviceId)).toBe('active');
    expect(await metric('certificates_superseded_revoked_total{trigger="grace"}')).toBeGreaterThanOrEqual(1);
    const current = await t.dataSource.query(`SELECT status FROM certificate WHERE device_id = $1 AND id <> $2`, [erin.deviceId, oldCertificate]);
    expect(current).toEqual([{ status: 'active' }]);
  });
});

const sha256Hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');
