import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { csrPem, deviceAuthorization, enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

/**
 * What one certificate's revocation does, by RFC 5280 reason (docs/architecture.md,
 * "Revocation reasons"): the device goes with its current certificate unless the reason is
 * about the certificate alone (cACompromise), `superseded` is only for a replaced certificate,
 * and `keyCompromise` takes the device whichever of its certificates is named.
 */
describe('single-certificate revocation, reason by reason', () => {
  let t: TestApp;
  let orgId: string;
  let accountId: string;

  beforeAll(async () => {
    t = await createTestApp();
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    accountId = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
  });
  afterAll(async () => {
    await t.close();
  });

  const revoke = (certificateId: string, reason?: string) =>
    call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${certificateId}/revoke`, { token: t.adminToken, body: reason ? { reason } : {} });
  const device = async (id: string) =>
    (await t.dataSource.query(`SELECT status, revocation_reason FROM device WHERE id = $1`, [id]))[0] as {
      status: string;
      revocation_reason: string | null;
    };
  const certificates = async (deviceId: string) =>
    (await t.dataSource.query(`SELECT id, status, revocation_reason FROM certificate WHERE device_id = $1 ORDER BY created_at`, [deviceId])) as {
      id: string;
      status: string;
      revocation_reason: number | null;
    }[];
  const devicesRevokedMessages = async (deviceId: string) =>
    (await t.dataSource.query(`SELECT payload FROM outbox WHERE topic = 'removal.plan' AND payload->'deviceIds' ? $1`, [deviceId])) as {
      payload: { reason: string };
    }[];

  /** A device with a superseded certificate (renewed once with the same key) and its current one. */
  async function renewedDevice() {
    const d = await enrolledDevice(t.app, orgId, accountId);
    const path = `/v1/devices/${d.deviceId}/certificate/renew`;
    const body = JSON.stringify({ csr: await csrPem(d.device) });
    const authorization = await deviceAuthorization(d.device, d.chain.chainDer, { method: 'POST', path, body });
    const res = await call(t.url, 'POST', path, { raw: body, headers: { authorization, 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const [old, current] = await certificates(d.deviceId);
    expect([old!.status, current!.status]).toEqual(['superseded', 'active']);
    return { deviceId: d.deviceId, old: old!.id, current: current!.id };
  }

  it.each(['keyCompromise', 'affiliationChanged', 'privilegeWithdrawn', 'cessationOfOperation', 'unspecified'])(
    '%s of the current certificate revokes the device, all its certificates, and plans its removals',
    async (reason) => {
      const d = await renewedDevice();
      const res = await revoke(d.current, reason === 'unspecified' ? undefined : reason);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ revoked: true, deviceRevoked: true, devices: [d.deviceId] });
      expect(res.body.certificates.sort()).toEqual([d.old, d.current].sort());
      expect(await device(d.deviceId)).toEqual({ status: 'revoked', revocation_reason: reason });
      expect((await certificates(d.deviceId)).map((c) => c.status)).toEqual(['revoked', 'revoked']);
      expect((await devicesRevokedMessages(d.deviceId)).map((m) => m.payload.reason)).toEqual([reason]);
      // A retry changes nothing.
      expect((await revoke(d.current, reason)).body).toMatchObject({ revoked: false, deviceRevoked: false });
      expect(await devicesRevokedMessages(d.deviceId)).toHaveLength(1);
    },
  );

  it('keyCompromise of a superseded certificate revokes the device too (the key of a replaced certificate leaked)', async () => {
    const d = await renewedDevice();
    const res = await revoke(d.old, 'keyCompromise');
    expect(res.body).toMatchObject({ revoked: true, deviceRevoked: true });
    expect((await device(d.deviceId)).status).toBe('revoked');
    expect((await certificates(d.deviceId)).map((c) => c.status)).toEqual(['revoked', 'revoked']);
  });

  it.each(['superseded', 'affiliationChanged', 'privilegeWithdrawn', 'cessationOfOperation', 'unspecified', 'cACompromise'])(
    '%s of a superseded certificate revokes that certificate only; the device keeps its current one',
    async (reason) => {
      const d = await renewedDevice();
      const res = await revoke(d.old, reason);
      expect(res.body).toMatchObject({ revoked: true, deviceRevoked: false, devices: [], certificates: [d.old] });
      expect((await device(d.deviceId)).status).toBe('active');
      expect((await certificates(d.deviceId)).map((c) => c.status)).toEqual(['revoked', 'active']);
      expect(await devicesRevokedMessages(d.deviceId)).toEqual([]);
      const kt = await until(async () => {
        const rows = await t.dataSource.query(
          `SELECT payload FROM outbox WHERE topic = 'kt.append' AND payload->>'type' = 'certificate_revoked' AND payload->>'deviceId' = $1`,
          [d.deviceId],
        );
        return rows.length > 0 && rows;
      });
      expect(kt.map((r: { payload: { reason: string } }) => r.payload.reason)).toEqual([reason]);
    },
  );

  it('cACompromise of the current certificate revokes the certificate only: the device keeps its identity and re-authenticates', async () => {
    const d = await renewedDevice();
    const res = await revoke(d.current, 'cACompromise');
    expect(res.body).toMatchObject({ revoked: true, deviceRevoked: false });
    expect((await device(d.deviceId)).status).toBe('active');
    expect((await certificates(d.deviceId)).map((c) => c.status)).toEqual(['superseded', 'revoked']);
    expect(await devicesRevokedMessages(d.deviceId)).toEqual([]);
  });

  it('refuses superseded for the current certificate (409, nothing written) and an unknown reason (400)', async () => {
    const d = await renewedDevice();
    const before = await certificates(d.deviceId);
    const current = await revoke(d.current, 'superseded');
    expect([current.status, current.body.reason]).toEqual([409, 'certificate_is_current']);
    expect(current.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await revoke(d.current, 'certificateHold');
    expect(unknown.status).toBe(400);
    expect(await certificates(d.deviceId)).toEqual(before);
    expect((await device(d.deviceId)).status).toBe('active');
  });
});
