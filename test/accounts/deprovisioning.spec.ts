import { AccountDeprovisioningService } from '../../apps/identity-service/src/accounts/account-deprovisioning.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount, insertDevice } from '../support/fixtures.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('account deprovisioning use case', () => {
  let t: TestApp;
  let orgId: string;
  let service: AccountDeprovisioningService;

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOX_POLL_MS: '60000' } });
    orgId = (await t.app.get(OrgsService).create('test', 'acme', 'Acme')).id;
    service = t.app.get(AccountDeprovisioningService);
  });
  afterAll(async () => {
    await t.close();
  });

  it('revokes every device and certificate and queues log, CRL and removal work in one transaction', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'bob@acme.example');
    const d1 = await insertDevice(t.dataSource, orgId, accountId, 2);
    const d2 = await insertDevice(t.dataSource, orgId, accountId, 1);
    const before = Number((await t.dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n);

    const result = await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'scim-token:x', mode: 'deactivate' }));
    expect(result.changed).toBe(true);
    expect(result.devices.sort()).toEqual([d1.deviceId, d2.deviceId].sort());
    expect(result.certificates).toHaveLength(3);

    const [account] = await t.dataSource.query('SELECT active, deprovisioned_at, version FROM account WHERE id = $1', [accountId]);
    expect(account.active).toBe(false);
    expect(account.deprovisioned_at).not.toBeNull();
    const devices = await t.dataSource.query('SELECT status, revocation_reason FROM device WHERE account_id = $1', [accountId]);
    expect(devices.every((d: { status: string }) => d.status === 'revoked')).toBe(true);
    const certs = await t.dataSource.query(`SELECT status, revocation_reason FROM certificate WHERE device_id = ANY($1::uuid[])`, [
      [d1.deviceId, d2.deviceId],
    ]);
    expect(certs.map((c: { status: string; revocation_reason: number }) => [c.status, c.revocation_reason])).toEqual([
      ['revoked', 5],
      ['revoked', 5],
      ['revoked', 5],
    ]);
    const events = await t.dataSource.query('SELECT topic, payload FROM outbox WHERE id > $1 ORDER BY id', [before]);
    const topics = events.map((e: { topic: string; payload: { type?: string } }) => (e.payload.type ? `${e.topic}:${e.payload.type}` : e.topic));
    expect(topics.sort()).toEqual(
      [
        'crl.refresh',
        'kt.append:certificate_revoked',
        'kt.append:certificate_revoked',
        'kt.append:certificate_revoked',
        'removal.plan',
        'kt.append:account_deprovisioned',
      ].sort(),
    );
    const plan = events.find((e: { topic: string }) => e.topic === 'removal.plan');
    expect(plan.payload.deviceIds.sort()).toEqual([d1.deviceId, d2.deviceId].sort());
    const crl = events.find((e: { topic: string }) => e.topic === 'crl.refresh');
    expect(crl.payload.caIds).toEqual([d1.caId]);
    expect(d2.caId).toBe(d1.caId);
  });

  it('is idempotent: a replayed deactivation revokes nothing twice and queues nothing', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'carol@acme.example');
    await insertDevice(t.dataSource, orgId, accountId, 1);
    const first = await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'a', mode: 'deactivate' }));
    const count = Number((await t.dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n);
    for (let i = 0; i < 3; i++) {
      const again = await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'a', mode: 'deactivate' }));
      expect(again).toEqual({ changed: false, devices: [], certificates: [] });
    }
    expect(first.devices).toHaveLength(1);
    expect(Number((await t.dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n)).toBe(count);
    const audits = await t.dataSource.query(`SELECT action FROM audit_event WHERE target = $1`, [`account:${accountId}`]);
    expect(audits).toEqual([{ action: 'account.deactivate' }]);
  });

  it('leaves nothing behind when the surrounding transaction fails', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'dave@acme.example');
    const d = await insertDevice(t.dataSource, orgId, accountId, 1);
    const count = Number((await t.dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n);
    await expect(
      t.dataSource.transaction(async (m) => {
        await service.deprovision(m, { orgId, accountId, actor: 'a', mode: 'deactivate' });
        throw new Error('SCIM response failed before commit');
      }),
    ).rejects.toThrow();
    const [device] = await t.dataSource.query('SELECT status FROM device WHERE id = $1', [d.deviceId]);
    expect(device.status).toBe('active');
    expect(Number((await t.dataSource.query('SELECT count(*) AS n FROM outbox'))[0].n)).toBe(count);
  });

  it('delete keeps a tombstone; reactivation restores the account but not its devices', async () => {
    const accountId = await insertAccount(t.dataSource, orgId, 'erin@acme.example');
    const d = await insertDevice(t.dataSource, orgId, accountId, 1);
    await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'a', mode: 'deactivate' }));
    expect(await t.dataSource.transaction((m) => service.reactivate(m, { orgId, accountId, actor: 'a' }))).toBe(true);
    const [acc] = await t.dataSource.query('SELECT active FROM account WHERE id = $1', [accountId]);
    expect(acc.active).toBe(true);
    const [device] = await t.dataSource.query('SELECT status FROM device WHERE id = $1', [d.deviceId]);
    expect(device.status).toBe('revoked');
    const del = await t.dataSource.transaction((m) => service.deprovision(m, { orgId, accountId, actor: 'a', mode: 'delete' }));
    expect(del.changed).toBe(true);
    const [tomb] = await t.dataSource.query('SELECT active, deleted_at FROM account WHERE id = $1', [accountId]);
    expect(tomb).toMatchObject({ active: false });
    expect(tomb.deleted_at).not.toBeNull();
    expect(await t.dataSource.transaction((m) => service.reactivate(m, { orgId, accountId, actor: 'a' }))).toBe(false);
  });
});
