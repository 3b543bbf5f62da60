import { createHash } from 'node:crypto';
import { parseCrl } from '#x509-profile';
import { CaLifecycleService } from '../../apps/identity-service/src/certificates/ca-lifecycle.service.js';
import { CertificateStatusService } from '../../apps/identity-service/src/certificates/certificate-status.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { enrolledDevice } from '../support/device-client.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

describe('CA lifecycle: rotations broadcast to every replica, compromise, expiry', () => {
  let a: TestApp;
  let b: TestApp;
  let orgId: string;
  let accountId: string;

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp({ db: a.db });
    orgId = (await a.app.get(OrgsService).create('test', 'acme', 'Acme Corp')).id;
    accountId = await insertAccount(a.dataSource, orgId, 'alice@acme.example');
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  async function activeIntermediate(): Promise<{ id: string; sha256: string; serial: string; not_after: Date }> {
    const [row] = await a.dataSource.query(
      `SELECT id, encode(sha256, 'hex') AS sha256, serial, not_after FROM ca WHERE org_id = $1 AND kind = 'intermediate' AND status = 'active'`,
      [orgId],
    );
    return row;
  }

  /** The intermediate that signs on `t` right now: issue a certificate there and look. */
  async function signingIntermediate(t: TestApp): Promise<string> {
    const { chain } = await enrolledDevice(t.app, orgId, accountId);
    return sha256(chain.chainDer[1]!);
  }

  it('after a rotation on one replica, the other signs with the new intermediate at once (NOTIFY), not 30 s later', async () => {
    const before = await activeIntermediate();
    // both replicas have the old issuer cached
    expect(await signingIntermediate(a)).toBe(before.sha256);
    expect(await signingIntermediate(b)).toBe(before.sha256);
    const rotated = await call(a.url, 'POST', '/v1/admin/orgs/acme/ca/rotate', { token: a.adminToken, body: { level: 'intermediate' } });
    expect(rotated.status).toBe(201);
    const after = await activeIntermediate();
    expect(after.id).toBe(rotated.body.intermediate.id);
    const t0 = Date.now();
    await until(
      async () => ((await signingIntermediate(b)) === after.sha256 ? true : undefined),
      2000,
      'replica b signing with the new intermediate',
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await signingIntermediate(a)).toBe(after.sha256);
  });

  it('revokes a compromised intermediate: off the trust bundle, on the root CRL, its certificates revoked, audited, logged, every replica switched', async () => {
    const compromised = await activeIntermediate();
    const { chain } = await enrolledDevice(b.app, orgId, accountId);
    expect(sha256(chain.chainDer[1]!)).toBe(compromised.sha256);
    // the external senders are certified now (replica a), under the intermediate about to be revoked
    const senderIntermediate = (t: TestApp) =>
      call(t.url, 'GET', '/v1/orgs/acme/mls/external-senders').then((r) => sha256(Buffer.from(r.body.externalSenders[0].chain[1], 'base64')));
    expect(await senderIntermediate(a)).toBe(compromised.sha256);

    const res = await call(a.url, 'POST', `/v1/admin/orgs/acme/ca/${compromised.id}/revoke`, {
      token: a.adminToken,
      body: { reason: 'keyCompromise' },
    });
    expect(res.status).toBe(201);
    expect(res.body.revoked.id).toBe(compromised.id);
    expect(res.body.certificatesRevoked).toBeGreaterThanOrEqual(1);
    const replacement = await activeIntermediate();
    expect(replacement.id).toBe(res.body.intermediate.id);
    expect(replacement.id).not.toBe(compromised.id);

    // dropped from the trust bundle on both replicas; the new one is in it
    for (const t of [a, b]) {
      const bundle = (await call(t.url, 'GET', '/pki/acme/intermediates.pem')).text;
      const ders = bundle
        .split('-----END CERTIFICATE-----')
        .filter((p) => p.includes('BEGIN'))
        .map((p) => Buffer.from(p.replace(/-----BEGIN CERTIFICATE-----|\s/g, ''), 'base64'));
      expect(ders.map((d) => sha256(d))).not.toContain(compromised.sha256);
      expect(ders.map((d) => sha256(d))).toContain(replacement.sha256);
    }
    // listed on the root's CRL
    const [root] = await a.dataSource.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'root' AND status = 'active'`, [orgId]);
    const crl = parseCrl(new Uint8Array(await (await fetch(`${a.url}/pki/acme/crl/${root.id}.crl`)).arrayBuffer()));
    expect(crl.entries.map((e) => e.serialNumber.toLowerCase())).toContain(compromised.serial);
    // what it signed reads revoked (cACompromise is not claimed: the admin said keyCompromise)
    const [status] = await b.app.get(CertificateStatusService).check(orgId, [{ fingerprint: chain.sha256 }]);
    expect(status).toMatchObject({ status: 'revoked' });
    // the next certificate on the other replica comes from the replacement, at once
    expect(await signingIntermediate(b)).toBe(replacement.sha256);
    // and the external sender, whose certificate was revoked with its CA, is certified again
    expect(await senderIntermediate(b)).toBe(replacement.sha256);
    // audited, and in the key-transparency log
    const audit = await call(a.url, 'GET', '/v1/admin/orgs/acme/audit-events', { token: a.adminToken });
    expect(JSON.stringify(audit.body)).toContain('ca.revoke');
    await until(
      async () => {
        const [row] = await a.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'kt.append' AND payload->>'reason' LIKE $1`, [
          `revoked ${compromised.sha256}%`,
        ]);
        return row.n === 1 ? true : undefined;
      },
      2000,
      'the revocation in the KT outbox',
    );
  });

  it('refuses to revoke a root, a revoked or unknown CA, with stable reasons', async () => {
    const [root] = await a.dataSource.query(`SELECT id FROM ca WHERE org_id = $1 AND kind = 'root' AND status = 'active'`, [orgId]);
    const [revoked] = await a.dataSource.query(`SELECT id FROM ca WHERE org_id = $1 AND status = 'revoked'`, [orgId]);
    const revoke = (id: string) => call(a.url, 'POST', `/v1/admin/orgs/acme/ca/${id}/revoke`, { token: a.adminToken, body: {} });
    expect([(await revoke(root.id)).status, (await revoke(root.id)).body.reason]).toEqual([409, 'ca_not_revocable']);
    expect([(await revoke(revoked.id)).status, (await revoke(revoked.id)).body.reason]).toEqual([409, 'ca_not_revocable']);
    expect((await revoke('6a9b7e52-96b1-4c4b-9f57-3a0c0a7b2f10')).body.reason).toBe('ca_not_found');
    expect((await revoke('not-a-uuid')).status).toBe(400);
    const badReason = await call(a.url, 'POST', `/v1/admin/orgs/acme/ca/${root.id}/revoke`, { token: a.adminToken, body: { reason: 'bored' } });
    expect(badReason.status).toBe(400);
    // and only admins may
    expect((await call(a.url, 'POST', `/v1/admin/orgs/acme/ca/${root.id}/revoke`, { body: {} })).status).toBe(401);
  });

  it('exports each org’s CA expiry and rotates an intermediate before it lapses (injected clock), once across replicas', async () => {
    await call(a.url, 'GET', '/v1/orgs/acme/mls/external-senders');
    const lifecycle = a.app.get(CaLifecycleService);
    expect(await lifecycle.check()).toEqual([]);
    const current = await activeIntermediate();
    const metrics = await (await fetch(`${a.metricsUrl}/metrics`)).text();
    const value = (kind: string) =>
      Number(new RegExp(`certificate_authority_not_after_seconds\\{org="acme",kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(value('intermediate')).toBe(Math.floor(new Date(current.not_after).getTime() / 1000));
    expect(value('root')).toBeGreaterThanOrEqual(value('intermediate'));
    expect(value('external_sender')).toBeGreaterThan(Date.now() / 1000);

    // 29 days before the intermediate lapses (the default threshold is 30), both replicas check at once
    const soon = () => new Date(new Date(current.not_after).getTime() - 29 * 86400_000);
    lifecycle.clock = soon;
    b.app.get(CaLifecycleService).clock = soon;
    const [byA, byB] = await Promise.all([lifecycle.check(), b.app.get(CaLifecycleService).check()]);
    expect([...byA, ...byB]).toEqual(['acme']);
    const next = await activeIntermediate();
    expect(next.id).not.toBe(current.id);
    expect(await signingIntermediate(b)).toBe(next.sha256);
    const [{ n }] = await a.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE actor = 'system:ca-lifecycle' AND action = 'ca.rotate.intermediate'`,
    );
    expect(n).toBe(1);
    const exported = await (await fetch(`${b.metricsUrl}/metrics`)).text();
    expect(exported).toContain(
      `certificate_authority_not_after_seconds{org="acme",kind="intermediate"} ${Math.floor(new Date(next.not_after).getTime() / 1000)}`,
    );

    // with the real clock, nothing is close to lapsing
    lifecycle.clock = () => new Date();
    expect(await lifecycle.check()).toEqual([]);
  });
});
