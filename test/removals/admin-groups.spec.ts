// The admin view of registered groups (console Groups page) and the removal report (Overview).
import type { Extension } from 'ts-mls';
import { DeviceRevocationService } from '../../apps/identity-service/src/devices/device-revocation.service.js';
import { CredentialsService } from '../../apps/identity-service/src/orgs/credentials.service.js';
import { OrgsService } from '../../apps/identity-service/src/orgs/orgs.service.js';
import { insertAccount } from '../support/fixtures.js';
import { call, createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { FakeDeliveryService, groupPath, mlsClient, type MlsClient, publishedExternalSenders } from './mls-clients.js';

describe('admin: registered groups and removal report', () => {
  let t: TestApp;
  let orgId: string;
  let ds: FakeDeliveryService;
  let externalSenders: Extension;
  let alice: MlsClient;

  beforeAll(async () => {
    t = await createTestApp();
    const org = await t.app.get(OrgsService).create('test', 'acme', 'Acme');
    await t.app.get(OrgsService).create('test', 'other', 'Other');
    orgId = org.id;
    ds = new FakeDeliveryService(t.url, (await t.app.get(CredentialsService).createDsClient('test', org, 'chat-ds', null)).token);
    alice = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'alice@acme.example'), 'alice');
    externalSenders = await publishedExternalSenders(t.url, 'acme');
  });
  afterAll(() => t.close());

  const get = (path: string) => call(t.url, 'GET', `/v1/admin/orgs/acme${path}`, { token: t.adminToken });

  it('lists groups page by page with size, epoch, open and overdue removals, and the policy in force', async () => {
    const bob = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'bob@acme.example'), 'bob');
    const carol = await mlsClient(t.app, orgId, await insertAccount(t.dataSource, orgId, 'carol@acme.example'), 'carol');
    const first = (await ds.reportedGroup('room-one', alice, [bob], externalSenders)).state;
    const second = (await ds.reportedGroup('room-two', alice, [carol], externalSenders)).state;
    await t.dataSource.transaction((m) =>
      t.app.get(DeviceRevocationService).revokeDevices(m, { orgId, deviceIds: [bob.deviceId], reason: 'keyCompromise', actor: 'admin' }),
    );
    await until(async () => (await ds.feed('0')).body.removals.length > 0, 5000, 'the removal');
    // the removal in room-one was planned two hours ago: past the default SLA
    await t.dataSource.query(`UPDATE removal SET planned_at = now() - interval '2 hours' WHERE org_id = $1`, [orgId]);

    const page1 = await get('/mls/groups?limit=1');
    expect(page1.status).toBe(200);
    expect(page1.body.groups).toHaveLength(1);
    expect(page1.body.groups[0]).toMatchObject({
      groupId: groupPath(first),
      epoch: 1,
      members: 2,
      pendingRemovals: 1,
      overdueRemovals: 1,
      flagged: null,
      // the creator's account becomes the first room admin
      roomAdmins: [alice.accountId],
      membershipPolicy: 'members',
    });
    expect(typeof page1.body.next).toBe('string');
    const page2 = await get(`/mls/groups?limit=1&cursor=${page1.body.next}`);
    expect(page2.body.groups.map((g: any) => g.groupId)).toEqual([groupPath(second)]);
    expect(page2.body.groups[0]).toMatchObject({ pendingRemovals: 0, overdueRemovals: 0 });
    expect(page2.body.next).toBeNull();

    // the roster of room-one: alice and bob, a removal open for bob's leaf
    const roster = await get(`/mls/groups/${groupPath(first)}/roster`);
    expect(roster.status).toBe(200);
    expect(roster.body).toMatchObject({ groupId: groupPath(first), epoch: 1 });
    expect(roster.body.members.map((m: any) => [m.accountId, m.deviceId, m.pendingRemoval])).toEqual([
      [alice.accountId, alice.deviceId, false],
      [bob.accountId, bob.deviceId, true],
    ]);
    expect((await get('/mls/groups/bm8tc3VjaA/roster')).body.reason).toBe('unknown_group');
    expect((await get('/mls/groups/not=base64url/roster')).status).toBe(400);

    const report = await get('/reports/removals?days=7');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ pending: 1, overdue: 1, latency: [] });
  });

  it('counts committed removals into the latency of their day', async () => {
    await t.dataSource.query(`UPDATE removal SET status = 'committed', committed_at = planned_at + interval '90 seconds' WHERE org_id = $1`, [orgId]);
    const report = await get('/reports/removals');
    expect(report.body.pending).toBe(0);
    expect(report.body.latency).toHaveLength(1);
    expect(report.body.latency[0]).toMatchObject({ p50Seconds: 90, p95Seconds: 90, committed: 1 });
  });

  it('refuses a cursor it did not hand out, and shows no group of another org', async () => {
    const forged = Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', "x' OR 1=1"])).toString('base64url');
    for (const cursor of ['garbage', forged]) {
      const res = await get(`/mls/groups?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.reason).toBe('bad_group_cursor');
    }
    const other = await call(t.url, 'GET', '/v1/admin/orgs/other/mls/groups', { token: t.adminToken });
    expect(other.body.groups).toEqual([]);
    const anonymous = await call(t.url, 'GET', '/v1/admin/orgs/acme/mls/groups');
    expect(anonymous.status).toBe(401);
  });
});
