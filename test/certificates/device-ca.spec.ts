import { randomUUID } from 'node:crypto';
import { resolveReceipt } from '../support/transparency-receipt.js';
import { parseCrl } from '#x509-profile';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { opensslVerify } from '../support/openssl.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

describe('device CA: issuance, openssl verification, revocation through CRLs', () => {
  let t: TestApp;
  let orgId: string;
  let accountId: string;

  beforeAll(async () => {
    t = await createTestApp();
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme Corp')).id;
    accountId = await insertAccount(t.dataSource, orgId, 'alice@acme.example');
  });
  afterAll(async () => {
    await t.close();
  });

  const bundle = async () => ({
    root: (await call(t.url, 'GET', '/pki/acme/roots.pem')).text,
    untrusted: (await call(t.url, 'GET', '/pki/acme/intermediates.pem')).text,
  });

  const crls = async () => {
    const [cas] = [await t.dataSource.query(`SELECT id FROM ca WHERE org_id = $1 AND status = 'active'`, [orgId])];
    return Promise.all(
      cas.map(async (c: { id: string }) => {
        const res = await fetch(`${t.url}/pki/acme/crl/${c.id}.crl`);
        return new Uint8Array(await res.arrayBuffer());
      }),
    );
  };

  it.each([
    ['Ed25519', 1],
    ['P-256', 2],
    ['P-384', 7],
  ])('issues a %s device chain that openssl verifies strictly', async (_name, suite) => {
    const { chain } = await enrolledDevice(t.app, orgId, accountId, suite);
    const verdict = await opensslVerify({ ...(await bundle()), leaf: chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0] });
    expect(verdict.output).toContain(': OK');
    expect(verdict.ok).toBe(true);
  });

  it('puts a revoked device on the CRL within a second, and openssl -crl_check_all reports it revoked', async () => {
    const { deviceId, chain } = await enrolledDevice(t.app, orgId, accountId);
    const leaf = chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0];
    const before = await opensslVerify({ ...(await bundle()), leaf, crls: await crls() }, ['-x509_strict', '-crl_check_all']);
    expect(before.ok).toBe(true);

    const [{ crl_number: numberBefore }] = await t.dataSource.query(
      `SELECT crl_number FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`,
      [orgId],
    );
    const revoked = await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${deviceId}/revoke`, {
      token: t.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(revoked.status).toBe(201);
    expect(revoked.body.certificates).toEqual([chain.certificateId]);
    expect(revoked.body.transparency).toHaveLength(1);
    expect(revoked.body.transparency[0].certificateId).toBe(chain.certificateId);
    expect(await resolveReceipt(t.url, t.adminToken, revoked.body.transparency[0], 'certificate_revoked')).toEqual(expect.any(Number));
    const revokedAt = Date.now();
    await until(
      async () => {
        const [row] = await t.dataSource.query(`SELECT crl_number FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`, [
          orgId,
        ]);
        return Number(row.crl_number) > Number(numberBefore) ? true : undefined;
      },
      3000,
      'the CRL re-signed',
    );
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    const after = await opensslVerify({ ...(await bundle()), leaf, crls: await crls() }, ['-x509_strict', '-crl_check_all']);
    expect(after.ok).toBe(false);
    expect(after.output).toMatch(/certificate revoked/);
  });

  it('coalesces a burst of revocations into a few CRL re-signings that list them all', async () => {
    const devices = [];
    for (let i = 0; i < 12; i++) devices.push(await enrolledDevice(t.app, orgId, accountId));
    const crlNumber = async () =>
      Number(
        (await t.dataSource.query(`SELECT crl_number FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`, [orgId]))[0]
          .crl_number,
      );
    const before = await crlNumber();
    await Promise.all(
      devices.map((d) =>
        t.dataSource.transaction((m) =>
          t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [d.deviceId], reason: 'keyCompromise', actor: 'test' }),
        ),
      ),
    );
    const serials = devices.map((d) => d.chain.serial.toLowerCase());
    await until(
      async () => {
        const [ca] = await t.dataSource.query(
          `SELECT crl_der, crl_stale_since FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`,
          [orgId],
        );
        if (ca.crl_stale_since !== null) return undefined;
        const listed = parseCrl(new Uint8Array(ca.crl_der)).entries.map((e) => e.serialNumber.toLowerCase());
        return serials.every((s) => listed.includes(s)) ? true : undefined;
      },
      3000,
      'a CRL listing every revoked serial',
    );
    expect((await crlNumber()) - before).toBeLessThanOrEqual(4);
  });

  it('serves CRLs with caching that never outlives nextUpdate', async () => {
    const [ca] = await t.dataSource.query(`SELECT id, crl_next_update FROM ca WHERE org_id = $1 AND kind = 'intermediate'`, [orgId]);
    const res = await fetch(`${t.url}/pki/acme/crl/${ca.id}.crl`);
    expect(res.headers.get('content-type')).toContain('application/pkix-crl');
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(Date.now() + maxAge * 1000).toBeLessThanOrEqual(new Date(ca.crl_next_update).getTime());
    const pem = await call(t.url, 'GET', `/pki/acme/crl/${ca.id}.pem`);
    expect(pem.text).toMatch(/^-----BEGIN X509 CRL-----/);
    const malformed = await call(t.url, 'GET', '/pki/acme/crl/not-a-ca.crl');
    expect([malformed.status, malformed.body.reason]).toEqual([404, 'crl_not_found']);
    const unknown = await call(t.url, 'GET', `/pki/acme/crl/${randomUUID()}.crl`);
    expect([unknown.status, unknown.body.reason]).toEqual([404, 'crl_not_found']);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    // Another org's CA has a CRL, but not at this org's address.
    const other = await t.app.get(OrgsService).create('test', 'crl-other', 'Other');
    const [otherCa] = await t.dataSource.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'intermediate'`, [other.id]);
    expect((await call(t.url, 'GET', `/pki/crl-other/crl/${otherCa.id}.crl`)).status).toBe(200);
    const foreign = await call(t.url, 'GET', `/pki/acme/crl/${otherCa.id}.crl`);
    expect([foreign.status, foreign.body.reason]).toEqual([404, 'crl_not_found']);
    expect((await call(t.url, 'GET', '/pki/nope/roots.pem')).status).toBe(404);
  });

  it("answers admin device routes for another org's or unknown devices and certificates with 404, and a malformed accountId with 400", async () => {
    const mine = await enrolledDevice(t.app, orgId, accountId);
    const elsewhere = await t.app.get(OrgsService).create('test', 'elsewhere', 'Elsewhere');
    const theirs = await enrolledDevice(t.app, elsewhere.id, await insertAccount(t.dataSource, elsewhere.id, 'eve@elsewhere.example'));
    const admin = { token: t.adminToken, body: {} };

    for (const id of [theirs.deviceId, randomUUID()]) {
      const res = await call(t.url, 'POST', `/v1/admin/orgs/acme/devices/${id}/revoke`, admin);
      expect([res.status, res.body.reason]).toEqual([404, 'device_not_found']);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const id of [theirs.chain.certificateId, randomUUID()]) {
      const res = await call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${id}/revoke`, admin);
      expect([res.status, res.body.reason]).toEqual([404, 'certificate_not_found']);
    }
    // Nothing of the other org was touched...
    const [theirRow] = await t.dataSource.query(
      `SELECT d.status AS device, c.status AS certificate FROM device d JOIN certificate c ON c.device_id = d.id WHERE d.id = $1`,
      [theirs.deviceId],
    );
    expect(theirRow).toEqual({ device: 'active', certificate: 'active' });
    // ...and the same routes do revoke what is the org's own.
    const own = await call(t.url, 'POST', `/v1/admin/orgs/acme/certificates/${mine.chain.certificateId}/revoke`, admin);
    expect([own.status, own.body.revoked]).toEqual([201, true]);

    const listed = await call(t.url, 'GET', `/v1/admin/orgs/acme/devices?accountId=${accountId}`, { token: t.adminToken });
    expect(listed.status).toBe(200);
    expect(listed.body.devices.map((d: { id: string }) => d.id)).toContain(mine.deviceId);
    expect(listed.body.devices.every((d: { accountId: string }) => d.accountId === accountId)).toBe(true);
    for (const bad of ['not-a-uuid', `${accountId}x`, "' OR 1=1 --"]) {
      const res = await call(t.url, 'GET', `/v1/admin/orgs/acme/devices?accountId=${encodeURIComponent(bad)}`, { token: t.adminToken });
      expect([bad, res.status, res.body.reason]).toEqual([bad, 400, 'invalid_account_id']);
    }
  });

  it('refuses to rotate the CA of an org whose active hierarchy is missing, and changes nothing', async () => {
    const broken = await t.app.get(OrgsService).create('test', 'no-hierarchy', 'No Hierarchy');
    // Only a damaged database gets here: the org's signing intermediate is no longer active.
    await t.dataSource.query(`UPDATE ca SET status = 'retired' WHERE org_id = $1 AND kind = 'intermediate'`, [broken.id]);
    const before = await t.dataSource.query(`SELECT id, kind, status FROM ca WHERE org_id = $1 ORDER BY id`, [broken.id]);
    for (const level of ['intermediate', 'root']) {
      const res = await call(t.url, 'POST', '/v1/admin/orgs/no-hierarchy/ca/rotate', { token: t.adminToken, body: { level } });
      expect([level, res.status, res.body.reason]).toEqual([level, 409, 'ca_hierarchy_missing']);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await t.dataSource.query(`SELECT id, kind, status FROM ca WHERE org_id = $1 ORDER BY id`, [broken.id])).toEqual(before);
  });

  it('rotates the intermediate and the root without breaking chains devices still hold', async () => {
    const old = await enrolledDevice(t.app, orgId, accountId);
    const oldLeaf = old.chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0];
    const inter = await call(t.url, 'POST', '/v1/admin/orgs/acme/ca/rotate', { token: t.adminToken, body: { level: 'intermediate' } });
    expect(inter.status).toBe(201);
    const fresh = await enrolledDevice(t.app, orgId, accountId);
    expect(fresh.chain.chainDer[1]).not.toEqual(old.chain.chainDer[1]);
    const b1 = await bundle();
    expect(b1.untrusted.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect((await opensslVerify({ ...b1, leaf: oldLeaf })).ok).toBe(true);

    const rootRotation = await call(t.url, 'POST', '/v1/admin/orgs/acme/ca/rotate', { token: t.adminToken, body: { level: 'root' } });
    expect(rootRotation.status).toBe(201);
    const newest = await enrolledDevice(t.app, orgId, accountId);
    const b2 = await bundle();
    expect(b2.root.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    for (const leaf of [oldLeaf, newest.chain.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0]]) {
      expect((await opensslVerify({ ...b2, leaf })).ok).toBe(true);
    }
    const status = await call(t.url, 'POST', '/v1/certificates/status', {
      token: (await call(t.url, 'POST', '/v1/admin/orgs/acme/ds-clients', { token: t.adminToken, body: { name: 'ds' } })).body.token,
      body: { chains: [old.chain.chainDer.map((d) => Buffer.from(d).toString('base64'))] },
    });
    expect(status.body.results[0].status).toBe('valid');
    const bad = await call(t.url, 'POST', '/v1/admin/orgs/acme/ca/rotate', { token: t.adminToken, body: { level: 'everything' } });
    expect(bad.status).toBe(400);
  });
});
